-- title: Anonymous access
-- severity: medium
-- description: Requests without credentials from outside AWS, by bucket,
--   operation and outcome. Successful anonymous reads mean a public bucket,
--   object ACL or policy; check that each is meant to be public and turn on
--   S3 Block Public Access where it is not.
SELECT
    bucket,
    operation,
    http_status,
    count(*) AS requests,
    count(DISTINCT key) AS distinct_keys,
    count(DISTINCT remote_ip) AS client_ips,
    sum(coalesce(bytes_sent, 0)) AS bytes_sent,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM logs
WHERE requester IS NULL AND signature_version IS NULL AND remote_ip IS NOT NULL
GROUP BY bucket, operation, http_status
ORDER BY requests DESC, bucket, operation, http_status
