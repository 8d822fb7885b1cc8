-- title: q1 SigV2 callers (peer benchmark)
-- severity: info
-- description: requester and count of SigV2-signed requests, as ../shared/bench/peers runs it.
SELECT requester, count(*) AS requests FROM logs
WHERE signature_version = 'SigV2' GROUP BY requester ORDER BY requests DESC, requester
