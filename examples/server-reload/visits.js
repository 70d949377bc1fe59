// A count the app holds in memory, kept across the dev server's reloads of its code: each version
// is a new process, and the next one gets the count through restore() before it serves.
import { keep } from 'fastify-livereload/keep'

export const visits = { count: 0 }

keep('visits', {
  save: () => visits.count,
  restore: saved => { visits.count = saved }
})
