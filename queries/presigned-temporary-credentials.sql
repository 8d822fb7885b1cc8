-- title: Presigned URLs signed with temporary credentials
-- severity: medium
-- description: Presigned URLs signed with temporary STS credentials (an ASIA
--   access key or a session token) that ask to live longer than such
--   credentials can (12 hours, the longest role session), and those that
--   already failed with ExpiredToken. A presigned URL dies with the
--   credentials that signed it, whatever its X-Amz-Expires says. Sign
--   long-lived URLs with a dedicated IAM user's key (up to 7 days with SigV4),
--   or shorten the URL's validity to the session's.
SELECT
    presign_access_key_id AS access_key,
    bucket,
    presign_version,
    count(*) AS requests,
    max(coalesce(presign_expires_seconds,
        CAST(date_part('epoch', presign_expires_at) - date_part('epoch', time) AS BIGINT))) AS max_validity_s,
    sum(CASE WHEN credential_failure = 'expired_token' THEN 1 ELSE 0 END) AS expired_token_failures,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM logs
WHERE authentication_type = 'QueryString'
  AND (presign_has_session_token OR presign_access_key_id LIKE 'ASIA%')
GROUP BY presign_access_key_id, bucket, presign_version
HAVING max(coalesce(presign_expires_seconds,
        CAST(date_part('epoch', presign_expires_at) - date_part('epoch', time) AS BIGINT))) > 43200
    OR sum(CASE WHEN credential_failure = 'expired_token' THEN 1 ELSE 0 END) > 0
ORDER BY requests DESC, access_key, bucket
