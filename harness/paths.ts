// Every path the harness touches is built here, from the course root and a slug, and nowhere
// else. The course root is COURSE_ROOT when set (the end-to-end tests point it at a fixture
// course), else the folder above harness/ (or above dist/harness/ once compiled).
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { HarnessError } from './errors.ts'

export interface CoursePaths {
  root: string
  exercisesDir: string
  solutionsDir: string
  contentDir: string
  catalog: string
  questionBank: string
  /** Harness-owned files that run inside vitest (the spec kit). */
  specKitSetup: string
  /** Learner state, git-ignored. */
  stateDir: string
  progressFile: string
  backupsDir: string
  exercise: (slug: string) => string
  exerciseFile: (slug: string) => string
  exerciseReadme: (slug: string) => string
  solution: (slug: string) => string
  solutionFile: (slug: string) => string
  content: (slug: string) => string
  spec: (slug: string) => string
  notes: (slug: string) => string
  /** The pristine stub: what `reset` restores and what the self-check expects to fail. */
  stub: (slug: string) => string
  mutantsDir: (slug: string) => string
}

/** The paths of the course at `root`. */
export function coursePaths(root: string): CoursePaths {
  const exercisesDir = path.join(root, 'exercises')
  const solutionsDir = path.join(root, 'solutions')
  const contentDir = path.join(root, 'content')
  const stateDir = path.join(root, '.course')
  return {
    root,
    exercisesDir,
    solutionsDir,
    contentDir,
    catalog: path.join(contentDir, 'catalog.json'),
    questionBank: path.join(contentDir, 'questions.json'),
    specKitSetup: path.join(harnessSourceDir(), 'spec-kit', 'setup.ts'),
    stateDir,
    progressFile: path.join(stateDir, 'progress.json'),
    backupsDir: path.join(stateDir, 'backups'),
    exercise: (slug) => path.join(exercisesDir, slug),
    exerciseFile: (slug) => path.join(exercisesDir, slug, 'app.ts'),
    exerciseReadme: (slug) => path.join(exercisesDir, slug, 'README.md'),
    solution: (slug) => path.join(solutionsDir, slug),
    solutionFile: (slug) => path.join(solutionsDir, slug, 'app.ts'),
    content: (slug) => path.join(contentDir, slug),
    spec: (slug) => path.join(contentDir, slug, 'spec.test.ts'),
    notes: (slug) => path.join(contentDir, slug, 'notes.md'),
    stub: (slug) => path.join(contentDir, slug, 'stub'),
    mutantsDir: (slug) => path.join(contentDir, slug, 'mutants'),
  }
}

/** The TypeScript sources of the harness (the spec kit is always loaded from source by vitest). */
export function harnessSourceDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  // Compiled: <repo>/dist/harness; from source: <repo>/harness.
  return path.basename(path.dirname(here)) === 'dist'
    ? path.join(here, '..', '..', 'harness')
    : here
}

/** The course to work on: COURSE_ROOT, or the repository this harness lives in. */
export function resolveCourseRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.COURSE_ROOT ? path.resolve(env.COURSE_ROOT) : path.dirname(harnessSourceDir())
  if (!existsSync(path.join(root, 'content', 'catalog.json'))) {
    throw new HarnessError(
      'COURSE_NOT_FOUND',
      `No course at ${root} (content/catalog.json is missing). Run the commands from the course folder.`,
    )
  }
  return root
}
