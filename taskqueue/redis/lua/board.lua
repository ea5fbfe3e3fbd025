-- Keep a blackboard file's text: ARGV[4] session id, ARGV[5] path, ARGV[6] text. Its
-- path moves to the next sequence of the session (a sorted set scored by sequence), so
-- a reader past an older sequence meets each path once, at its latest text. Replies the
-- sequence, or 0 for an unknown session.
local sid, path = ARGV[4], ARGV[5]
if redis.call('EXISTS', P .. 'session:' .. sid) == 0 then return 0 end
local seq = redis.call('INCR', P .. 'seq:board:' .. sid)
redis.call('HSET', P .. 'board:' .. sid .. ':text', path, ARGV[6])
redis.call('ZADD', P .. 'board:' .. sid .. ':order', seq, path)
news()
return seq
