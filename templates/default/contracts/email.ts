import { defineTask } from 'tqjs'

/**
 * The contract of email.welcome: its name, payload and result types and options. Producers
 * (src/server.ts) import this file, not the handler in tasks/, so they load none of its code.
 */
export const sendWelcome = defineTask<{ to: string }, { sent: boolean; to: string }>('email.welcome', {
  queue: 'emails',
  retries: 3,
  backoff: { type: 'exponential', delay: '1s', max: '1m', jitter: true },
})

// Declared here, enqueue by name is typed too: tq.enqueue('email.welcome', { to }).
declare module 'tqjs' {
  interface TaskRegistry {
    'email.welcome': typeof sendWelcome
  }
}
