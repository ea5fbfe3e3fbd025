-- ARGV[4] session id, ARGV[5] the batch as JSON (prepared and checked by the caller).
-- Replies {'ok', first id}, or what refused it: nothing is written before every check.
local sid, batch = ARGV[4], cjson.decode(ARGV[5])

-- Whether `wanted` (a set of ids) holds a task that the ids of `start` wait for, down
-- the chain: the ids found.
local function waited_for(start, wanted)
  local seen, pending, found = {}, {}, {}
  for _, id in ipairs(start) do pending[#pending + 1] = tostring(id) end
  while #pending > 0 do
    local id = table.remove(pending)
    if not seen[id] then
      seen[id] = true
      if wanted[id] then found[#found + 1] = tonumber(id) end
      for _, dep in ipairs(redis.call('SMEMBERS', P .. 'deps:' .. id)) do
        pending[#pending + 1] = dep
      end
    end
  end
  return found
end

-- `before`: tasks of the session, not started, that the new task does not wait for.
local function check_before(session, specs)
  local unknown, started = {'unknown_before'}, {'started'}
  for _, spec in ipairs(specs) do
    for _, id in ipairs(spec.before) do
      local t = load(id)
      if not t or t.session_id ~= session then unknown[#unknown + 1] = id
      elseif t.status ~= 'queued' and t.status ~= 'blocked' then started[#started + 1] = id end
    end
  end
  if #unknown > 1 then return unknown end
  if #started > 1 then return started end
  for _, spec in ipairs(specs) do
    if #spec.before > 0 then
      local wanted = {}
      for _, id in ipairs(spec.before) do wanted[tostring(id)] = true end
      local closing = waited_for(spec.reach, wanted)
      if #closing > 0 then return {'cycle', spec.label, unpack(closing)} end
    end
  end
  return nil
end
if redis.call('EXISTS', P .. 'session:' .. sid) == 0 then return {'unknown_session'} end
local missing, taken = {'unknown_ids'}, {'taken_keys'}
for _, spec in ipairs(batch) do
  for _, dep in ipairs(spec.dep_ids) do
    if redis.call('HGET', task_key(dep), 'session_id') ~= sid then missing[#missing + 1] = dep end
  end
  if spec.key and redis.call('HEXISTS', P .. 'keys:' .. sid, spec.key) == 1 then
    taken[#taken + 1] = spec.key
  end
end
if #missing > 1 then return missing end
if #taken > 1 then return taken end
local refused = check_before(sid, batch)
if refused then return refused end

local first = redis.call('INCRBY', P .. 'seq:task', #batch) - #batch + 1
local ids_by_key, ready, with_deps = {}, {}, {}
for i, spec in ipairs(batch) do
  if spec.key then ids_by_key[spec.key] = first + i - 1 end
end
for i, spec in ipairs(batch) do
  local id = first + i - 1
  local t = {id = id, session_id = sid, role = spec.role, not_before = spec.not_before,
             rank = spec.rank .. string.format('%016d', id), status = 'new'}
  local fields = {'id', id, 'session_id', sid, 'role', spec.role, 'title', spec.title,
                  'input', spec.input, 'priority', spec.priority, 'rank', t.rank,
                  'attempt', 0, 'max_attempts', spec.max_attempts,
                  'not_before', spec.not_before, 'run_on_partial', spec.run_on_partial,
                  'created_at', NOW, 'status', 'new', 'deps_open', 0, 'deps_bad', 0}
  for _, name in ipairs({'key', 'skill', 'timeout_s'}) do
    if spec[name] then fields[#fields + 1] = name; fields[#fields + 1] = spec[name] end
  end
  redis.call('HSET', task_key(id), unpack(fields))
  redis.call('ZADD', P .. 'tasks:' .. sid, id, id)
  if spec.key then redis.call('HSET', P .. 'keys:' .. sid, spec.key, id) end
  local deps = {}
  for _, dep in ipairs(spec.dep_ids) do deps[#deps + 1] = dep end
  for _, key in ipairs(spec.dep_keys) do deps[#deps + 1] = ids_by_key[key] end
  for _, dep in ipairs(deps) do
    add_dependency(id, dep, redis.call('HGET', task_key(dep), 'status'))
  end
  count(t, 'new', 1)
  if #deps > 0 then
    set_status(t, 'blocked')
    with_deps[#with_deps + 1] = id
  else
    set_status(t, 'queued')
    ready[#ready + 1] = t
  end
end
announce(ready, 'task.queued', 'enqueued')
-- Tasks named by `before` wait for the new ones; the queued ones go back to blocked.
local held = {}
for i, spec in ipairs(batch) do
  local id = first + i - 1
  for _, waiter in ipairs(spec.before) do
    tallies(waiter)  -- counted first for a task older than the tallies, then moved
    add_dependency(waiter, id, redis.call('HGET', task_key(id), 'status'))
    local t = load(waiter)
    if t.status == 'queued' then
      set_status(t, 'blocked')
      held[#held + 1] = t
    end
  end
end
table.sort(held, function(a, b) return a.id < b.id end)
announce(held, 'task.blocked', 'waits for a task enqueued after it')
-- Dependencies on tasks that already ended are decided at once.
settle(with_deps)
news()
return {'ok', first}
