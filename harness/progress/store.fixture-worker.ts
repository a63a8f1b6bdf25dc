// Used by store.test.ts: increments one exercise's attempt count N times, as a separate process.
import { ProgressStore, mutableStateOf } from './store.ts'

const [file, slug, times] = process.argv.slice(2) as [string, string, string]
const store = new ProgressStore(file)
for (let i = 0; i < Number(times); i++) {
  await store.update((p) => {
    mutableStateOf(p, slug).attempts += 1
  })
}
