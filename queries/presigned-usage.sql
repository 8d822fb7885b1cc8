-- title: Presigned URL usage
-- severity: info
-- description: Presigned requests (authentication type QueryString) by
--   signing access key, requester and bucket: how many, how many distinct
--   keys and client IPs, SigV2 or SigV4, the validity the signer asked for
--   (X-Amz-Expires, seconds) and how many failed. Use it to learn who hands
--   out presigned URLs before restricting them with s3:authType or
--   s3:signatureAge in a bucket policy.
SELECT
    presign_access_key_id AS access_key,
    requester,
    bucket,
    count(*) AS requests,
    count(DISTINCT key) AS distinct_keys,
    count(DISTINCT remote_ip) AS client_ips,
    sum(CASE WHEN signature_version = 'SigV2' THEN 1 ELSE 0 END) AS sigv2,
    sum(CASE WHEN signature_version = 'SigV4' THEN 1 ELSE 0 END) AS sigv4,
    min(presign_expires_seconds) AS min_expires_s,
    median(presign_expires_seconds) AS median_expires_s,
    max(presign_expires_seconds) AS max_expires_s,
    sum(CASE WHEN http_status >= 400 THEN 1 ELSE 0 END) AS failures
FROM logs
WHERE authentication_type = 'QueryString'
GROUP BY presign_access_key_id, requester, bucket
ORDER BY requests DESC, access_key, requester, bucket
