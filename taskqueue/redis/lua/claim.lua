-- ARGV[4] worker, ARGV[5] limit, ARGV[6] lease expiry, ARGV[7] session id or '',
-- ARGV[8..] roles. Replies the claimed tasks (see `dump`), best first.
local worker, limit, expires, sid = ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7]

-- Tasks whose due time has come move to their role's queue.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', NOW)) do
  local role, rank = unpack(redis.call('HMGET', task_key(id), 'role', 'rank'))
  redis.call('ZREM', P .. 'delayed', id)
  redis.call('ZADD', P .. 'queue:' .. role, 0, rank)
end

local ranks, seen = {}, {}
for i = 8, #ARGV do
  local role = ARGV[i]
  if not seen[role] then
    seen[role] = true
    local queue = P .. 'queue:' .. role
    -- Limited to a session, the queue is walked until enough of its tasks are found.
    local window = sid == '' and limit or -1
    local found = 0
    for _, rank in ipairs(redis.call('ZRANGE', queue, 0, window == -1 and -1 or window - 1)) do
      local id = tonumber(string.sub(rank, 21))
      if sid == '' or redis.call('HGET', task_key(id), 'session_id') == sid then
        ranks[#ranks + 1] = rank
        found = found + 1
        if found >= limit then break end
      end
    end
  end
end
table.sort(ranks)

local claimed = {}
for i = 1, math.min(limit, #ranks) do
  local t = load(tonumber(string.sub(ranks[i], 21)))
  set_status(t, 'running')
  local attempt = redis.call('HINCRBY', task_key(t.id), 'attempt', 1)
  redis.call('HSET', task_key(t.id), 'lease_owner', worker, 'lease_expires', expires,
             'started_at', NOW)
  redis.call('HDEL', task_key(t.id), 'progress', 'progress_note')
  redis.call('ZADD', P .. 'running', expires, t.id)
  redis.call('SADD', P .. 'held:' .. worker, t.id)
  emit('session:' .. t.session_id, 'task.started', cjson.encode({
    task_id = t.id, attempt = attempt, role = t.role, skill = t.skill or cjson.null,
    worker = worker}))
  claimed[#claimed + 1] = dump(t.id)
end
if #claimed > 0 then news() end
return claimed
