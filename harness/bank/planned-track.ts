// A first guess at the track that should cover a seed question nobody covers yet, from its
// section and wording. Only used when a new question enters the bank; after that the bank's
// `planned` field is the truth and can be edited by hand.

const BY_KEYWORD: [RegExp, string][] = [
  [/websocket|real-?time|sse\b|celery|background|async|asgi|event loop|queue|email/i, 'async-realtime'],
  [/test|mock|coverage|postman|load test|stress/i, 'testing'],
  [/jwt|oauth|auth|session|token|401|403|permission|login/i, 'auth'],
  [/cors|csrf|xss|sql injection|security|secur|encrypt|rate limit|throttl|csp|upload/i, 'security'],
  [/cach|redis|n\+1|query|orm|select_related|database|sql|pool|transaction|performance|optimi|compression|large dataset/i, 'data-performance'],
  [/microservice|circuit|retry|degradation|plugin|graphql|architecture|distributed|load balanc/i, 'architecture'],
  [/monitor|logging|log\b|metric|deploy|docker|gunicorn|wsgi|health|ci\/cd|canary|blue-green|feature flag|environment|production|uptime|apm|alert/i, 'operations'],
  [/serializ|pydantic|marshmallow|validat|pagina|filter|search|sort|bulk|soft delete|renderer|parser|content negotiation/i, 'data-shaping'],
  [/blueprint|middleware|flask|django|fastapi|dependency injection|template|context|viewset|apiview|generic view|mvt|micro-framework|route|__name__/i, 'app-structure'],
]

/** The track a question is planned for. */
export function plannedTrack(section: string, question: string): string {
  const text = `${section} ${question}`
  for (const [pattern, track] of BY_KEYWORD) if (pattern.test(text)) return track
  return 'http-semantics'
}
