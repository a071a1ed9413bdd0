/**
 * list-jobs.lua (read only): jobs newest first (by seq), filtered by state, queue and task,
 * read through the narrowest index: <base>state:<state>:<q> for state + queue; the merge of
 * those sets for state alone or queue alone; <base>task:<task> (filtered) for a task;
 * <base>jobs otherwise.
 *
 * KEYS[1] <base>jobs, KEYS[2] <base>queues; plus the index sets above and <base>job:<id>
 * ARGV[1] base, ARGV[2] events channel, ARGV[3] state (''), ARGV[4] queue (''), ARGV[5] task (''), ARGV[6] limit
 * Returns one HGETALL array per job.
 */
export const LIST_JOBS = String.raw`
local state, queue, task, limit = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local STATES = { 'scheduled', 'queued', 'active', 'succeeded', 'failed', 'cancelled', 'expired' }
local ids = {}
if limit <= 0 then return {} end

-- The newest 'limit' ids across several seq-scored sets.
local function merge(keys)
  local all = {}
  for _, k in ipairs(keys) do
    local r = redis.call('ZREVRANGE', k, 0, limit - 1, 'WITHSCORES')
    for i = 1, #r, 2 do all[#all + 1] = { r[i], tonumber(r[i + 1]) } end
  end
  table.sort(all, function(x, y) return x[2] > y[2] end)
  local out = {}
  for i = 1, math.min(limit, #all) do out[i] = all[i][1] end
  return out
end

if task ~= '' then
  local key = B .. 'task:' .. task
  local page = math.max(limit, 100)
  local start = 0
  while #ids < limit do
    local r = redis.call('ZREVRANGE', key, start, start + page - 1)
    if #r == 0 then break end
    for _, id in ipairs(r) do
      local v = redis.call('HMGET', jkey(id), 'state', 'queue')
      if (state == '' or v[1] == state) and (queue == '' or v[2] == queue) then
        ids[#ids + 1] = id
        if #ids >= limit then break end
      end
    end
    start = start + page
  end
elseif state ~= '' and queue ~= '' then
  ids = redis.call('ZREVRANGE', B .. 'state:' .. state .. ':' .. queue, 0, limit - 1)
elseif state ~= '' then
  local keys = {}
  for _, q in ipairs(redis.call('SMEMBERS', B .. 'queues')) do keys[#keys + 1] = B .. 'state:' .. state .. ':' .. q end
  ids = merge(keys)
elseif queue ~= '' then
  local keys = {}
  for _, s in ipairs(STATES) do keys[#keys + 1] = B .. 'state:' .. s .. ':' .. queue end
  ids = merge(keys)
else
  ids = redis.call('ZREVRANGE', B .. 'jobs', 0, limit - 1)
end

local out = {}
for _, id in ipairs(ids) do
  local h = redis.call('HGETALL', jkey(id))
  if #h > 0 then out[#out + 1] = h end
end
return out
`
