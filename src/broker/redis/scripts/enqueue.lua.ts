/**
 * enqueue.lua: inserts a batch of jobs atomically, in order (one call however many jobs).
 *
 * KEYS[1] <base>seq      job sequence (FIFO order, newest-first listings)
 * KEYS[2] <base>jobs     zset of every job id by seq
 * KEYS[3] <base>keys     hash unique key -> live job id
 * KEYS[4] <base>queues   set of known queues
 * plus <base>counts, and per job: <base>job:<id>, <base>ready:<queue> or <base>scheduled:<queue>,
 * <base>expiring:<queue>, <base>children:<parent>
 *
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] the jobs as one JSON array, each an array of 11 fields:
 *   id, task, queue, payload, priority, runAt, maxAttempts, key ('' = none), parentId ('' = none), expiresAt ('' = none),
 *   workflow step as JSON ('' = none; see lib insert_job), which also writes <base>workflow:<id> and <base>waiting:<queue>
 * (one argument rather than 11 a job: the client encodes 1,000 jobs in one JSON.stringify instead of
 * 11,000 arguments, about a quarter of a bulk enqueue's time, and cjson decodes them at about the
 * cost of receiving that many arguments)
 * then the number of jobs with headers h, then h pairs: job index (0-based), headers (JSON text),
 * then (optional) '1' if every id was drawn by the client for this call, on its first attempt: such an
 * id cannot exist yet, so no job is looked up first (a retried call sends '0' and finds its own jobs).
 * Returns { id1, created1, id2, created2, ... } (created is 1 or 0). Publishes once if any job was created.
 * Queued jobs may be handed straight to a parked worker (handoff-lib.lua.ts): then the job is
 * active, and the message is 'handoff', on the quiet channel '<events channel>:quiet', if every job
 * created went that way.
 */
export const ENQUEUE = String.raw`
local now = now_ms()
local jobs = cjson.decode(ARGV[3])
local n = #jobs
-- The trailing sections: headers, then whether every id is new (see the header comment).
local t = 4
local nh = tonumber(ARGV[t] or '0')
local fresh = ARGV[t + 1 + nh * 2] == '1'
local out = {}
local created = 0
-- The jobs' sorted-set entries are written together after the loop (nothing reads them before).
batch_zadds()
for i = 0, n - 1 do
  local j = jobs[i + 1]
  local r = insert_job(now, j[1], j[2], j[3], j[4], j[5], j[6], j[7], j[8], j[9], j[10], j[11], fresh)
  out[#out + 1] = r[1]
  out[#out + 1] = r[2]
  created = created + r[2]
end
write_zadds()
-- Propagation headers (trace context) of the jobs that have some, stored only on jobs created here.
for k = 0, nh - 1 do
  local idx = tonumber(ARGV[t + 1 + k * 2])
  if out[idx * 2 + 2] == 1 then redis.call('HSET', jkey(out[idx * 2 + 1]), 'headers', ARGV[t + 2 + k * 2]) end
end
-- Hand-off (handoff-lib): jobs queued here go straight to workers parked on their queue. Queues
-- nobody is parked on cost one EXISTS per call.
local handed = 0
if created > 0 then
  local parked, mine = {}, {}
  for i = 0, n - 1 do
    local q = jobs[i + 1][3]
    if parked[q] == nil then parked[q] = redis.call('EXISTS', B .. 'parked:' .. q) == 1 end
    if parked[q] and out[i * 2 + 2] == 1 and redis.call('HGET', jkey(out[i * 2 + 1]), 'state') == 'queued' then
      mine[q] = (mine[q] or 0) + 1
    end
  end
  for q, m in pairs(mine) do handed = handed + hand_off(q, m, now) end
end
write_counts()
-- Jobs all handed off need no worker to look: 'handoff' goes to the quiet channel, which parked
-- workers do not subscribe to (change-listener.ts), so it is not on the handed job's way.
if created > handed then redis.call('PUBLISH', CHANNEL, 'enqueue') elseif handed > 0 then redis.call('PUBLISH', CHANNEL .. ':quiet', 'handoff') end
return out
`
