-- title: Presigned URLs that look leaked
-- severity: high
-- description: One presigned URL (identified by a hash of its signature,
--   never the signature itself) used from several client IPs or networks, or
--   used again after a successful upload. A presigned URL works for anyone who
--   holds it until it expires; one that travels has leaked. Revoke it by
--   deactivating the signing key (or revoking the role session), and consider
--   refusing presigned access to the bucket altogether.
-- remedy: {"Sid": "DenyPresignedURLs", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
--   "Resource": ["arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"],
--   "Condition": {"StringEquals": {"s3:authType": "REST-QUERY-STRING"}}}
SELECT
    -- CASE: the hash is computed for presigned requests only.
    CASE WHEN authentication_type = 'QueryString' THEN signature_id(request_uri) END AS url_id,
    presign_access_key_id AS access_key,
    bucket,
    key,
    count(*) AS requests,
    count(DISTINCT remote_ip) AS client_ips,
    count(DISTINCT ip_network(remote_ip)) AS client_networks,
    sum(CASE WHEN request_method = 'PUT' AND http_status = 200 THEN 1 ELSE 0 END) AS successful_uploads,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM logs
WHERE authentication_type = 'QueryString'
GROUP BY 1, 2, 3, 4
-- URLs without a signature are left out here, after the aggregates: a filter
-- on `url_id` would be pushed down to the scan and hash every URL twice.
HAVING count(url_id) > 0
    AND (count(DISTINCT remote_ip) > 1
         OR (sum(CASE WHEN request_method = 'PUT' AND http_status = 200 THEN 1 ELSE 0 END) > 0 AND count(*) > 1))
ORDER BY client_networks DESC, requests DESC, url_id
