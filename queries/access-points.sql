-- title: Access point traffic
-- severity: info
-- description: Requests through S3 access points and Object Lambda access
--   points, per access point ARN: volume, errors, denials and who calls.
SELECT
    access_point_arn,
    count(*) AS requests,
    sum(CASE WHEN http_status >= 400 THEN 1 ELSE 0 END) AS errors,
    sum(CASE WHEN http_status = 403 THEN 1 ELSE 0 END) AS denied,
    count(DISTINCT requester) AS requesters,
    sum(coalesce(bytes_sent, 0)) AS bytes_sent,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM logs
WHERE access_point_arn IS NOT NULL
GROUP BY access_point_arn
ORDER BY requests DESC, access_point_arn
