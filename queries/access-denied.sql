-- title: Access denied
-- severity: medium
-- description: 403 responses not explained by expired or invalid
--   credentials, by requester, bucket, operation and authentication type.
--   Presigned requests denied here were signed by a principal that lacks the
--   permission (the URL has not expired); header-signed ones point at missing
--   IAM or bucket-policy grants, objects owned by another account, or probing.
SELECT
    CASE WHEN authentication_type = 'QueryString' THEN 'presigned: signer lacks permission'
         WHEN authentication_type IS NULL THEN 'anonymous'
         ELSE 'header-signed' END AS kind,
    requester,
    bucket,
    operation,
    authentication_type,
    error_code,
    count(*) AS requests,
    count(DISTINCT remote_ip) AS client_ips,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM logs
WHERE http_status = 403 AND credential_failure IS NULL
GROUP BY 1, requester, bucket, operation, authentication_type, error_code
ORDER BY requests DESC, kind, requester, bucket, operation
