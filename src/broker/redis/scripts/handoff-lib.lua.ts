/**
 * handoff-lib.lua: enqueue-to-start without a claim round trip, appended to lib.lua.
 *
 * A worker whose claim found its queues drained with slots to spare is PARKED (claim.lua):
 *   <base>park:<worker>     hash: n (slots left), lease (ms), at (when parked, Redis clock),
 *                           q (its queues, space-separated: queue names have no spaces)
 *   <base>parked:<queue>    zset worker -> when it last parked or was handed a job
 * An enqueue that leaves a queue's ready set holding only its own jobs hands them, in claim order,
 * to the workers parked on that queue (hand_off): leased exactly as claim.lua leases (state
 * active, attempt and token + 1, a lease in <base>leases, worker_id), and pushed, as claim.lua's
 * 13 reply fields in JSON, onto
 *   <base>inbox:<worker>    list, which the worker's reader blocks on (BLPOP), and which the
 *                           worker's next claim also drains: whichever pops an entry delivers it.
 *   <base>handed:<worker>   set 'id:token' of jobs handed and not yet claimed by the worker: its
 *                           claims count those its reader popped against their limit, so a
 *                           claim racing a hand-off never takes more than the worker's slots
 * So the worker has the job one hop after the enqueue instead of three (wake, claim, reply).
 *
 * Nothing is lost: a handed job is an active job with a lease like any claimed one. If its worker
 * died, its lease lapses (recover-expired.lua) or the heartbeat reaper requeues it, and a stale
 * parking (not renewed within PARK_TTL_MS: an idle worker claims every few seconds, or its worker's
 * heartbeat older than STALE_BEAT_MS) is dropped instead of used. A stopping worker unparks and puts back its inbox (unpark.lua).
 */
export const HANDOFF_LIB = String.raw`
-- ---- hand-off to parked workers (handoff-lib.lua.ts) --------------------------------------

local PARK_TTL_MS = 15000
-- A parked worker whose heartbeat (<base>worker-beats, every second) is older than this gets
-- nothing more: after a kill -9, jobs go to live workers within seconds instead of waiting for
-- the dead one to be reaped. A worker with no beat recorded (the broker used directly) is trusted.
local STALE_BEAT_MS = 3000

local function unpark(w, queues)
  if queues == nil then queues = redis.call('HGET', B .. 'park:' .. w, 'q') end
  if queues then
    for q in string.gmatch(queues, '%S+') do redis.call('ZREM', B .. 'parked:' .. q, w) end
  end
  redis.call('DEL', B .. 'park:' .. w)
end

-- The worker next in turn parked on q with slots left, with its parking, or nil.
local function parked_on(q, now)
  for _ = 1, 5 do
    local w = redis.call('ZRANGE', B .. 'parked:' .. q, 0, 0)[1]
    if not w then return nil end
    local p = redis.call('HMGET', B .. 'park:' .. w, 'n', 'lease', 'at', 'q')
    local beat = redis.call('ZSCORE', B .. 'worker-beats', w)
    local alive = not beat or tonumber(beat) >= now - STALE_BEAT_MS
    if p[1] and alive and tonumber(p[1]) > 0 and tonumber(p[3]) >= now - PARK_TTL_MS then return w, p end
    if p[1] then unpark(w, p[4]) else redis.call('ZREM', B .. 'parked:' .. q, w) end
  end
  return nil
end

-- Hands the ready jobs of queue q to parked workers while both last, if the ready set holds only
-- the 'mine' jobs this script just queued (older ones go first, by a claim). Returns how many.
local function hand_off(q, mine, now)
  if mine <= 0 or redis.call('SISMEMBER', B .. 'paused', q) == 1 then return 0 end
  if redis.call('ZCARD', B .. 'ready:' .. q) ~= mine then return 0 end
  local handed = 0
  while handed < mine do
    local w, p = parked_on(q, now)
    if not w then break end
    local member = redis.call('ZRANGE', B .. 'ready:' .. q, 0, 0)[1]
    if not member then break end
    local id = string.sub(member, 35)
    local k = jkey(id)
    local v = redis.call('HMGET', k, 'run_at', 'seq', 'expires_at', 'attempt', 'token', 'task', 'priority', 'parent_id', 'payload', 'max_attempts', 'created_at', 'workflow_id', 'headers')
    -- Past its deadline already: left for a claim to expire.
    if v[3] and tonumber(v[3]) <= now then break end
    redis.call('ZREM', B .. 'ready:' .. q, member)
    if v[3] then redis.call('ZREM', B .. 'expiring:' .. q, id) end
    local attempt = (tonumber(v[4]) or 0) + 1
    local token = math.max((tonumber(v[5]) or 0) + 1, now) -- see FENCING in lib.lua
    local lease_until = now + tonumber(p[2])
    redis.call('HSET', k, 'state', 'active', 'attempt', attempt, 'token', token, 'started_at', now, 'worker_id', w)
    redis.call('ZADD', B .. 'leases', lease_until, id)
    count(q, 'queued', -1)
    count(q, 'active', 1)
    redis.call('SADD', B .. 'handed:' .. w, id .. ':' .. token)
    redis.call('RPUSH', B .. 'inbox:' .. w, cjson.encode({ id, v[6], q, v[9], tostring(attempt), v[10], tostring(token), v[7], v[1], v[11], v[8] or '', v[12] or '', v[13] or '' }))
    local left = tonumber(p[1]) - 1
    if left > 0 then
      redis.call('HSET', B .. 'park:' .. w, 'n', left)
      -- To the back of the line: the next job goes to another idle worker, if there is one.
      redis.call('ZADD', B .. 'parked:' .. q, now, w)
    else
      unpark(w, p[4])
    end
    handed = handed + 1
  end
  return handed
end

-- Puts back a job handed (or claimed) to worker w with this token that w never started: queued
-- again, the attempt not counted, as recover-expired.lua does. Returns 1 if it moved.
local function put_back(id, token, w)
  local h = load(id)
  if not h or h.state ~= 'active' or h.token ~= token or redis.call('HGET', jkey(id), 'worker_id') ~= w then return 0 end
  unlease(h)
  drop(h, 'started_at')
  put(h, 'attempt', tonumber(h.attempt) - 1)
  to_waiting(h, 'queued', h.run_at)
  flush(h)
  return 1
end
`
