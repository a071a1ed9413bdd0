/**
 * purge.lua: deletes jobs that are not active, by queue and/or state, at most `batch` per call
 * (the broker calls again while `more` is 1, so Redis is never blocked for long).
 *
 * KEYS[1] <base>queues, KEYS[2] <base>jobs, KEYS[3] <base>keys
 * plus per (state, queue): <base>state:<state>:<q>, and every index a deleted job is in (see lib del_job)
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] queue ('' = all), ARGV[4] state ('' = all but active), ARGV[5] batch
 * Returns { deleted, more }.
 */
export const PURGE = String.raw`
local batch = tonumber(ARGV[5])
local queues = { ARGV[3] }
if ARGV[3] == '' then queues = redis.call('SMEMBERS', B .. 'queues') end
local states = { ARGV[4] }
if ARGV[4] == '' then states = { 'scheduled', 'queued', 'succeeded', 'failed', 'cancelled', 'expired' } end
local n = 0
for _, s in ipairs(states) do
  if s ~= 'active' then
    for _, q in ipairs(queues) do
      local ids = redis.call('ZRANGE', B .. 'state:' .. s .. ':' .. q, 0, batch - n - 1)
      for _, id in ipairs(ids) do
        if del_job(id) == 0 then redis.call('ZREM', B .. 'state:' .. s .. ':' .. q, id) end
        n = n + 1
      end
      if n >= batch then return { n, 1 } end
    end
  end
end
return { n, 0 }
`
