/**
 * recover-expired.lua: requeues active jobs whose lease lapsed (their worker died or hung),
 * without counting the lost attempt (attempt - 1). The token stays, so the next claim's token
 * differs and the stale holder is fenced out. At most 1000 jobs per call.
 *
 * KEYS[1] <base>leases; plus <base>counts, and per job <base>job:<id>, <base>ready:<q>, <base>expiring:<q>
 *
 * ARGV[1] base, ARGV[2] events channel
 * Returns how many jobs were requeued. Publishes if any.
 */
export const RECOVER_EXPIRED = String.raw`
local now = now_ms()
local ids = redis.call('ZRANGEBYSCORE', B .. 'leases', '-inf', now, 'LIMIT', 0, 1000)
local n = 0
for _, id in ipairs(ids) do
  local h = load(id)
  if h and h.state == 'active' then
    unlease(h)
    drop(h, 'started_at')
    put(h, 'attempt', tonumber(h.attempt) - 1)
    to_waiting(h, 'queued', h.run_at)
    flush(h)
    n = n + 1
  else
    redis.call('ZREM', B .. 'leases', id)
  end
end
write_counts()
if n > 0 then redis.call('PUBLISH', CHANNEL, 'recover') end
return n
`
