/**
 * retry.lua: requeues failed, cancelled or expired jobs with a fresh attempt budget (attempt 0,
 * run now). The error history stays; result, error and progress are cleared. A unique key is
 * taken back only if no other live job holds it.
 *
 * KEYS[1] <base>keys, KEYS[2] <base>result-expiry
 * plus <base>counts, and per job: <base>job:<id>, <base>finished:<state>, <base>ready:<q>, <base>expiring:<q>
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3..] job ids
 * Returns the ids requeued. Publishes if any.
 */
export const RETRY = String.raw`
local now = now_ms()
local done = {}
local RETRYABLE = { failed = true, cancelled = true, expired = true }
for i = 3, #ARGV do
  local id = ARGV[i]
  local h = load(id)
  if h and RETRYABLE[h.state] then
    redis.call('ZREM', B .. 'finished:' .. h.state, id)
    redis.call('ZREM', B .. 'result-expiry', id)
    for _, f in ipairs({ 'finished_at', 'started_at', 'error', 'result', 'progress', 'result_expires_at', 'lease_until' }) do drop(h, f) end
    put(h, 'attempt', 0)
    put(h, 'cancel_requested', 0)
    if h.key and h.key ~= '' and not key_holder(h.key) then redis.call('HSET', B .. 'keys', h.key, id) end
    to_waiting(h, 'queued', now)
    flush(h)
    done[#done + 1] = id
  end
end
write_counts()
if #done > 0 then redis.call('PUBLISH', CHANNEL, 'retry') end
return done
`
