-- title: q2 presigned use (peer benchmark)
-- severity: info
-- description: presigned requests by requester and bucket, with distinct keys.
SELECT requester, bucket, count(*) AS requests, count(DISTINCT key) AS distinct_keys FROM logs
WHERE authentication_type = 'QueryString' GROUP BY requester, bucket ORDER BY requests DESC, requester, bucket
