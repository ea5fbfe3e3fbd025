-- Shared by every script (prepended to each). ARGV[1] is the key prefix, ARGV[2] the
-- caller's clock as text (every host stamps the same wall time), ARGV[3] the sender on
-- the bus; a script's own arguments follow. Times stay text: Lua prints numbers with
-- 14 digits, and a timestamp needs 17 to come back unchanged.
local P, NOW, SENDER = ARGV[1], ARGV[2], ARGV[3]
local NOW_N = tonumber(NOW)
local TERMINAL = {done = true, failed = true, dead = true, cancelled = true}
local UNSUCCESSFUL = {failed = true, dead = true, cancelled = true}

local function task_key(id) return P .. 'task:' .. id end

-- A write tells blocked readers of every host that the store changed.
local function news()
  redis.call('XADD', P .. 'news', 'MAXLEN', '~', 1000, '*', 'at', NOW)
end

-- Append to the bus: the id is the next value of one counter, stored as stream id N-0,
-- so it is also the offset readers keep.
local function emit(channel, kind, body)
  local id = redis.call('INCR', P .. 'seq:message')
  redis.call('XADD', P .. 'channel:' .. channel, id .. '-0',
             'time', NOW, 'kind', kind, 'sender', SENDER, 'body', body)
  redis.call('SADD', P .. 'channels', channel)
  return id
end

local function load(id)
  local flat = redis.call('HGETALL', task_key(id))
  if #flat == 0 then return nil end
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  t.id = tonumber(id)
  return t
end

local function holds(t, attempt)
  return t ~= nil and t.status == 'running' and tonumber(t.attempt) == attempt
end

local function sorted_unique(ids)
  local seen, out = {}, {}
  for _, id in ipairs(ids) do
    id = tonumber(id)
    if not seen[id] then seen[id] = true; out[#out + 1] = id end
  end
  table.sort(out)
  return out
end

local function ids_of(tasks)
  local out = {}
  for i, t in ipairs(tasks) do out[i] = t.id end
  return out
end

local function count(t, status, delta)
  local key, field = P .. 'counts:' .. t.session_id, status .. ':' .. t.role
  if redis.call('HINCRBY', key, field, delta) <= 0 then redis.call('HDEL', key, field) end
end

-- A queued task waits in the due-time set until its not_before, then in its role's queue,
-- ranked by (priority desc, id) through its `rank` text.
local function enqueue_ready(t)
  if tonumber(t.not_before) > NOW_N then
    redis.call('ZADD', P .. 'delayed', t.not_before, t.id)
  else
    redis.call('ZADD', P .. 'queue:' .. t.role, 0, t.rank)
  end
end

-- A task's dependencies are tallied in its hash: `deps_open`, how many have not ended,
-- and `deps_bad`, how many ended unsuccessfully. What a dependency in `status` adds to
-- them (a status not written yet, a task later in the same batch, is open):
local function open_and_bad(status)
  return TERMINAL[status] and 0 or 1, UNSUCCESSFUL[status] and 1 or 0
end

-- The tallies counted from the dependencies' statuses, and kept. Only a task written
-- before tallies existed lacks them: it is counted once, the first time it is decided.
local function count_tallies(id)
  local open, bad = 0, 0
  for _, dep in ipairs(redis.call('SMEMBERS', P .. 'deps:' .. id)) do
    local o, b = open_and_bad(redis.call('HGET', task_key(dep), 'status'))
    open, bad = open + o, bad + b
  end
  redis.call('HSET', task_key(id), 'deps_open', open, 'deps_bad', bad)
  return open, bad
end

local function tallies(id)
  local open, bad = unpack(redis.call('HMGET', task_key(id), 'deps_open', 'deps_bad'))
  if not open then return count_tallies(id) end
  return tonumber(open), tonumber(bad)
end

-- Task `waiter` waits for `dep` too, whose status is `status`: the edge and its tallies
-- (an edge already there changes nothing).
local function add_dependency(waiter, dep, status)
  if redis.call('SADD', P .. 'deps:' .. waiter, dep) == 0 then return end
  redis.call('SADD', P .. 'dependents:' .. dep, waiter)
  local open, bad = open_and_bad(status)
  redis.call('HINCRBY', task_key(waiter), 'deps_open', open)
  if bad ~= 0 then redis.call('HINCRBY', task_key(waiter), 'deps_bad', bad) end
end

-- A task moving from status `was` to `now` moves its dependents' tallies: one step per
-- dependent. A task ends once (a status never leaves the terminal ones, and every
-- change is fenced before it gets here), so no dependency is counted as ended twice.
local function move_tallies(id, was, now)
  local open_was, bad_was = open_and_bad(was)
  local open_now, bad_now = open_and_bad(now)
  if open_was == open_now and bad_was == bad_now then return end
  for _, d in ipairs(redis.call('SMEMBERS', P .. 'dependents:' .. id)) do
    local key = task_key(d)
    -- A dependent without tallies counts them when it is decided, from this status.
    if redis.call('HEXISTS', key, 'deps_open') == 1 then
      if open_now ~= open_was then redis.call('HINCRBY', key, 'deps_open', open_now - open_was) end
      if bad_now ~= bad_was then redis.call('HINCRBY', key, 'deps_bad', bad_now - bad_was) end
    end
  end
end

-- Every status change passes here: it keeps the queue, lease and count indexes and the
-- dependents' tallies in step.
local function set_status(t, status)
  local key = task_key(t.id)
  if t.status == 'queued' then
    redis.call('ZREM', P .. 'queue:' .. t.role, t.rank)
    redis.call('ZREM', P .. 'delayed', t.id)
  elseif t.status == 'running' then
    redis.call('ZREM', P .. 'running', t.id)
    if t.lease_owner then redis.call('SREM', P .. 'held:' .. t.lease_owner, t.id) end
    redis.call('HDEL', key, 'lease_owner', 'lease_expires')
    t.lease_owner, t.lease_expires = nil, nil
  end
  count(t, t.status, -1)
  count(t, status, 1)
  redis.call('HSET', key, 'status', status)
  move_tallies(t.id, t.status, status)
  t.status = status
  if status == 'queued' then enqueue_ready(t) end
end

local function announce(tasks, kind, reason)
  local groups, order = {}, {}
  for _, t in ipairs(tasks) do
    if not groups[t.session_id] then
      groups[t.session_id] = {}
      order[#order + 1] = t.session_id
    end
    table.insert(groups[t.session_id], t.id)
  end
  for _, sid in ipairs(order) do
    emit('session:' .. sid, kind, cjson.encode({task_ids = groups[sid], reason = reason}))
  end
end

local function dependents_of(ids)
  local out = {}
  for _, id in ipairs(ids) do
    for _, d in ipairs(redis.call('SMEMBERS', P .. 'dependents:' .. id)) do out[#out + 1] = d end
  end
  return sorted_unique(out)
end

local function set_cancelled(tasks, reason)
  for _, t in ipairs(tasks) do
    set_status(t, 'cancelled')
    redis.call('HSET', task_key(t.id), 'error', reason, 'finished_at', NOW)
  end
  announce(tasks, 'task.cancelled', reason)
end

-- Decide blocked tasks whose dependencies changed, cascading: all ended -> queued (if all
-- succeeded, or the task runs on partial input); one unsuccessful -> cancelled. Each is
-- decided by its tallies, not by reading its dependencies.
local function settle(candidates)
  while #candidates > 0 do
    local ready, doomed = {}, {}
    for _, id in ipairs(candidates) do
      local status, partial, open, bad = unpack(redis.call(
        'HMGET', task_key(id), 'status', 'run_on_partial', 'deps_open', 'deps_bad'))
      if status == 'blocked' then
        if open then open, bad = tonumber(open), tonumber(bad)
        else open, bad = count_tallies(id) end
        partial = partial == '1'
        if open == 0 and (bad == 0 or partial) then ready[#ready + 1] = load(id)
        elseif bad > 0 and not partial then doomed[#doomed + 1] = load(id) end
      end
    end
    for _, t in ipairs(ready) do set_status(t, 'queued') end
    announce(ready, 'task.queued', 'dependencies finished')
    set_cancelled(doomed, 'a dependency failed')
    candidates = dependents_of(ids_of(doomed))
  end
end

local function settle_dependents(ended) settle(dependents_of(ended)) end

local function cancel_unfinished(tasks, reason)
  set_cancelled(tasks, reason)
  settle_dependents(ids_of(tasks))
end

-- A task as a reply: its hash (flat) and the ids it depends on.
local function dump(id)
  return {redis.call('HGETALL', task_key(id)), redis.call('SMEMBERS', P .. 'deps:' .. id)}
end
