-- title: SigV2 callers
-- severity: high
-- description: Who still signs requests with Signature Version 2: requester,
--   access key (known for presigned URLs), user agent (SDK and version),
--   how many source IPs and which, buckets and operations. SigV2 is deprecated and refused in
--   every region launched after 2014; old SDKs (boto 2, aws-sdk-java 1.11
--   before SigV4 by default, s3cmd, some S3 clients) still use it. Upgrade or
--   reconfigure each client to SigV4, then refuse SigV2 in the bucket policy.
-- remedy: {"Sid": "DenySigV2", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
--   "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"],
--   "Condition": {"StringEquals": {"s3:signatureversion": "AWS"}}}
SELECT
    requester,
    presign_access_key_id AS access_key,
    user_agent,
    cardinality(array_agg(DISTINCT remote_ip)) AS source_ip_count,
    array_to_string(array_sort(array_agg(DISTINCT remote_ip)), ', ') AS source_ips,
    array_to_string(array_sort(array_agg(DISTINCT bucket)), ', ') AS buckets,
    array_to_string(array_sort(array_agg(DISTINCT operation)), ', ') AS operations,
    count(*) AS requests,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM logs
WHERE signature_version = 'SigV2'
GROUP BY requester, presign_access_key_id, user_agent
ORDER BY requests DESC, requester, access_key, user_agent
