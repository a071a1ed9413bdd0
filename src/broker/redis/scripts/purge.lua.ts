/**
 * purge.lua: deletes jobs that are not active, by queue and/or state, at most `batch` per call
 * (the broker calls again while `more` is 1, so Redis is never blocked for long). Jobs are found
 * where their state keeps them: <base>ready:<q>, <base>scheduled:<q>, <base>finished:<state>.
 *
 * KEYS[1] <base>queues, KEYS[2] <base>jobs, KEYS[3] <base>keys
 * plus those sets, <base>counts, and every index a deleted job is in (see lib del_job)
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] queue ('' = all), ARGV[4] state ('' = all but active), ARGV[5] batch
 * Returns { deleted, more }.
 */
export const PURGE = String.raw`
local queue, batch = ARGV[3], tonumber(ARGV[5])
local queues = { queue }
if queue == '' then queues = redis.call('SMEMBERS', B .. 'queues') end
local states = { ARGV[4] }
if ARGV[4] == '' then states = { 'scheduled', 'queued', 'succeeded', 'failed', 'cancelled', 'expired' } end
local n = 0

-- Deletes the jobs of 'ids' (of 'state'; in 'queue' unless it is ''), stopping at the batch size.
local function delete(ids, state)
  for _, id in ipairs(ids) do
    if n >= batch then return end
    if queue == '' or redis.call('HGET', jkey(id), 'queue') == queue then
      if del_job(id) == 1 then n = n + 1 end
    end
  end
end

for _, s in ipairs(states) do
  if s == 'queued' then
    for _, q in ipairs(queues) do
      local members = redis.call('ZRANGE', B .. 'ready:' .. q, 0, batch - n - 1)
      local ids = {}
      for i, m in ipairs(members) do ids[i] = string.sub(m, 35) end
      delete(ids, s)
    end
  elseif s == 'scheduled' then
    for _, q in ipairs(queues) do delete(redis.call('ZRANGE', B .. 'scheduled:' .. q, 0, batch - n - 1), s) end
  elseif s ~= 'active' then
    -- Finished jobs of every queue share one set: page through it, keeping those of the queue.
    local key, start = B .. 'finished:' .. s, 0
    while n < batch do
      local ids = redis.call('ZRANGE', key, start, start + batch - 1)
      if #ids == 0 then break end
      local before = n
      delete(ids, s)
      -- Deleted entries leave the set; the ones kept (other queues) are stepped over.
      start = start + #ids - (n - before)
    end
  end
  if n >= batch then
    write_counts()
    return { n, 1 }
  end
end
write_counts()
return { n, 0 }
`
