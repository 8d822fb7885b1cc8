-- title: q3 expired credentials (peer benchmark)
-- severity: info
-- description: ExpiredToken, TokenRefreshRequired and 403 AccessDenied on presigned requests.
SELECT requester, error_code, http_status, count(*) AS requests FROM logs
WHERE error_code IN ('ExpiredToken', 'TokenRefreshRequired')
   OR (http_status = 403 AND error_code = 'AccessDenied' AND authentication_type = 'QueryString')
GROUP BY requester, error_code, http_status ORDER BY requests DESC, requester, error_code
