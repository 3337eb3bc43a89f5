<?php
/**
 * InvoiceScript Agent API: forward /api/agent/v1/* from a PHP app to the service.
 *
 * For hosts where the nginx config is out of reach (Apache with PHP-FPM or mod_php,
 * shared hosting). Route /api/agent/ to this script, e.g. in .htaccess:
 *
 *   CGIPassAuth On                      # Apache >= 2.4.13: keep the Authorization header
 *   RewriteEngine On
 *   RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]   # older Apache
 *   RewriteRule ^api/agent/ agent-proxy.php [L]
 *
 * It keeps the method, path, query string, Authorization and X-Request-ID, appends
 * the client's address to X-Forwarded-For, and returns the service's status, body and
 * the headers below unchanged. Service down: a JSON 502; too slow: a JSON 504.
 * The service runs with AGENTAPI_TRUSTED_PROXIES=1 so that it believes X-Forwarded-For.
 *
 * Answers are relayed as they arrive, never held whole in PHP's memory (an export of
 * all invoices streams for minutes). Keep the web server from collecting them too:
 * nginx in front of PHP-FPM honours the relayed X-Accel-Buffering: no; Apache with
 * mod_proxy_fcgi needs `flushpackets=on` on its ProxyPass / SetHandler. If the service
 * cuts an answer off mid-body, the proxy drops the connection the same way.
 *
 * Configuration: the environment variables below (SetEnv in Apache, env in PHP-FPM's
 * pool), or edit the defaults here.
 */

declare(strict_types=1);

// Where the service listens: http://127.0.0.1:8000, or unix:/run/agentapi/agentapi.sock
define('AGENT_PROXY_UPSTREAM', getenv('AGENT_PROXY_UPSTREAM') ?: 'http://127.0.0.1:8000');
// Only paths under this prefix are forwarded.
define('AGENT_PROXY_PREFIX', getenv('AGENT_PROXY_PREFIX') ?: '/api/agent/');
// Seconds to wait for a connection, and for the whole answer.
define('AGENT_PROXY_CONNECT_TIMEOUT', (float) (getenv('AGENT_PROXY_CONNECT_TIMEOUT') ?: 3));
define('AGENT_PROXY_TIMEOUT', (float) (getenv('AGENT_PROXY_TIMEOUT') ?: 35));

// Response headers passed back to the client (lower case).
const AGENT_PROXY_RESPONSE_HEADERS = [
    'content-type', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset',
    'retry-after', 'www-authenticate', 'link', 'x-request-id', 'cache-control', 'allow',
    'x-content-type-options', 'vary', 'access-control-allow-origin',
    'access-control-allow-headers', 'access-control-expose-headers',
    'content-disposition', 'content-security-policy', 'x-accel-buffering',
];

/** The Authorization header, wherever the web server left it. */
function agent_proxy_authorization(array $server): ?string
{
    foreach (['HTTP_AUTHORIZATION', 'REDIRECT_HTTP_AUTHORIZATION'] as $name) {
        if (!empty($server[$name])) {
            return $server[$name];
        }
    }
    if (function_exists('getallheaders')) {
        foreach (getallheaders() as $name => $value) {
            if (strcasecmp((string) $name, 'Authorization') === 0 && $value !== '') {
                return $value;
            }
        }
    }
    return null;
}

/** The incoming header $name (as in $_SERVER, e.g. HTTP_X_REQUEST_ID), or null. */
function agent_proxy_header(array $server, string $name): ?string
{
    $value = $server[$name] ?? null;
    return is_string($value) && $value !== '' ? $value : null;
}

/**
 * Why the request path may not be forwarded as it is, or null when it may.
 *
 * curl (and the service's router) would resolve dot segments and decode encoded
 * slashes, so "/api/agent/../../secret" would leave the prefix after the check below:
 * such paths are refused, raw or percent-encoded, whatever their case.
 */
function agent_proxy_path_problem(string $path): ?string
{
    if (strpos($path, '\\') !== false || preg_match('/%(2e|2f|5c|00)/i', $path)) {
        return 'the path may not contain encoded dots or slashes, backslashes or NUL';
    }
    foreach (explode('/', $path) as $segment) {
        if ($segment === '.' || $segment === '..') {
            return 'the path may not contain "." or ".." segments';
        }
    }
    return null;
}

/** Answer a problem+json error of the proxy's own. */
function agent_proxy_problem(int $status, string $title, string $detail, ?string $requestId,
                             ?array $errors = null): void
{
    $requestId = $requestId ?? bin2hex(random_bytes(16));
    http_response_code($status);
    header('Content-Type: application/problem+json');
    header('Cache-Control: no-store');
    header('X-Request-ID: ' . $requestId);
    if ($status >= 500) {
        header('Retry-After: 5');
    }
    $code = [400 => 'invalid_parameter', 404 => 'not_found'][$status] ?? 'service_unavailable';
    $problem = [
        'type' => 'urn:invoicescript:agentapi:problem:' . $code,
        'title' => $title,
        'status' => $status,
        'detail' => $detail,
        'code' => $code,
        'request_id' => $requestId,
    ];
    if ($errors !== null) {
        $problem['errors'] = $errors;
    }
    echo json_encode($problem, JSON_UNESCAPED_SLASHES);
}

/** Forward the current request to the service and relay its answer. */
function agent_proxy_main(array $server): void
{
    $uri = (string) ($server['REQUEST_URI'] ?? '/');
    $method = strtoupper((string) ($server['REQUEST_METHOD'] ?? 'GET'));
    $requestId = agent_proxy_header($server, 'HTTP_X_REQUEST_ID');
    if (!preg_match('/^[A-Za-z0-9._-]{1,128}$/', (string) $requestId)) {
        $requestId = bin2hex(random_bytes(16));  // the service would replace it anyway
    }
    $path = explode('?', $uri, 2)[0];
    $refusal = agent_proxy_path_problem($path);
    if ($refusal !== null) {
        agent_proxy_problem(400, 'Invalid parameter', 'path: ' . $refusal . '.', $requestId,
            [['parameter' => 'path', 'message' => $refusal]]);
        return;
    }
    if (strncmp($path, AGENT_PROXY_PREFIX, strlen(AGENT_PROXY_PREFIX)) !== 0) {
        agent_proxy_problem(404, 'Not found', 'No route matches this path.', $requestId);
        return;
    }

    $headers = ['X-Request-ID: ' . $requestId, 'Expect:'];
    $authorization = agent_proxy_authorization($server);
    if ($authorization !== null) {
        $headers[] = 'Authorization: ' . $authorization;
    }
    foreach (['HTTP_ORIGIN' => 'Origin', 'HTTP_IF_NONE_MATCH' => 'If-None-Match',
              'HTTP_ACCEPT' => 'Accept'] as $key => $name) {
        $value = agent_proxy_header($server, $key);
        if ($value !== null) {
            $headers[] = $name . ': ' . $value;
        }
    }
    $client = (string) ($server['REMOTE_ADDR'] ?? '');
    $forwarded = agent_proxy_header($server, 'HTTP_X_FORWARDED_FOR');
    $headers[] = 'X-Forwarded-For: ' . ($forwarded !== null ? $forwarded . ', ' . $client : $client);
    $https = !empty($server['HTTPS']) && strtolower((string) $server['HTTPS']) !== 'off';
    $headers[] = 'X-Forwarded-Proto: ' . ($https ? 'https' : 'http');
    $host = agent_proxy_header($server, 'HTTP_HOST');
    if ($host !== null) {
        $headers[] = 'X-Forwarded-Host: ' . $host;
    }

    $upstream = AGENT_PROXY_UPSTREAM;
    $curl = curl_init();
    if (strncmp($upstream, 'unix:', 5) === 0) {
        curl_setopt($curl, CURLOPT_UNIX_SOCKET_PATH, substr($upstream, 5));
        $url = 'http://localhost' . $uri;
    } else {
        $url = rtrim($upstream, '/') . $uri;
    }
    // The answer is relayed as it arrives (an export streams for minutes and may be
    // far larger than PHP's memory_limit): the head with the first body bytes, then
    // each piece as curl hands it over, flushed at once.
    $relayed = [];
    $started = false;
    // PHP's built-in server (php -S) ends a body by closing the connection, so a body
    // cut off would look complete there: it gets chunked framing from here, and the
    // final chunk only when the whole answer came. Behind Apache or PHP-FPM the web
    // server does the chunking, and leaves the final chunk out when PHP goes away.
    $frame = PHP_SAPI === 'cli-server';
    $sendHead = function ($curl, bool $body) use (&$relayed, &$started, $frame): void {
        $started = true;
        header_remove('X-Powered-By');
        foreach ($relayed as $line) {
            header($line, false);
        }
        if ($frame && $body) {
            header('Transfer-Encoding: chunked');
        }
        // After the headers: PHP turns any response with WWW-Authenticate into a 401.
        http_response_code((int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE));
    };
    while (ob_get_level() > 0) {
        ob_end_clean();
    }
    curl_setopt_array($curl, [
        CURLOPT_URL => $url,
        CURLOPT_CUSTOMREQUEST => $method,
        CURLOPT_NOBODY => $method === 'HEAD',
        CURLOPT_HTTPHEADER => $headers,
        CURLOPT_RETURNTRANSFER => false,
        CURLOPT_FOLLOWLOCATION => false,
        // The path was checked above as it is sent: curl must not rewrite it.
        CURLOPT_PATH_AS_IS => true,
        CURLOPT_CONNECTTIMEOUT_MS => (int) (AGENT_PROXY_CONNECT_TIMEOUT * 1000),
        // Not a limit on the whole answer (an export takes as long as it takes): the
        // service must send something at least every AGENT_PROXY_TIMEOUT seconds.
        CURLOPT_LOW_SPEED_LIMIT => 1,
        CURLOPT_LOW_SPEED_TIME => max(1, (int) ceil(AGENT_PROXY_TIMEOUT)),
        CURLOPT_HEADERFUNCTION => function ($curl, string $line) use (&$relayed): int {
            if (strncmp($line, 'HTTP/', 5) === 0) {
                $relayed = [];  // a new status line: an interim answer's headers are not kept
            }
            $parts = explode(':', $line, 2);
            if (count($parts) === 2) {
                $name = strtolower(trim($parts[0]));
                if (in_array($name, AGENT_PROXY_RESPONSE_HEADERS, true)) {
                    $relayed[] = trim($parts[0]) . ': ' . trim($parts[1]);
                }
            }
            return strlen($line);
        },
        CURLOPT_WRITEFUNCTION => function ($curl, string $data) use (&$started, $sendHead,
                                                                    $frame): int {
            if (!$started) {
                $sendHead($curl, true);
            }
            echo $frame ? dechex(strlen($data)) . "\r\n" . $data . "\r\n" : $data;
            flush();
            return strlen($data);
        },
    ]);
    $ok = curl_exec($curl);
    $errno = curl_errno($curl);
    $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    if (PHP_VERSION_ID < 80000) {
        curl_close($curl);  // a no-op since PHP 8.0, deprecated in 8.5
    }

    if ($started && ($errno !== 0 || $ok === false)) {
        // The service cut its answer off mid-body (an export that could not finish).
        // Status and headers are gone: the only honest signal left is to end this
        // connection without the end of the body, so that the client reports an
        // incomplete transfer instead of keeping a shorter file that looks complete.
        agent_proxy_abort_connection();
    }
    if ($errno === CURLE_OPERATION_TIMEDOUT) {
        agent_proxy_problem(504, 'Gateway timeout',
            'The Agent API did not answer in time; retry shortly.', $requestId);
        return;
    }
    if ($errno !== 0 || $ok === false || $status === 0) {
        agent_proxy_problem(502, 'Bad gateway',
            'The Agent API is not answering; retry shortly.', $requestId);
        return;
    }
    if (!$started) {
        $sendHead($curl, false);  // no body at all (HEAD, 304, an empty 200)
    } elseif ($frame) {
        echo "0\r\n\r\n";
    }
}

/**
 * End the response without its final chunk: the process goes away mid-answer, as the
 * service's own worker does, so the web server drops the client's connection.
 */
function agent_proxy_abort_connection(): void
{
    error_log('agent-proxy: the Agent API cut its answer off; dropping the connection');
    if (function_exists('posix_kill') && function_exists('posix_getpid')) {
        posix_kill(posix_getpid(), 9);
    }
    // Without the posix extension: a fatal error ends the script where it stands.
    throw new RuntimeException('the Agent API cut its answer off');
}

if (!defined('AGENT_PROXY_LIBRARY')) {
    agent_proxy_main($_SERVER);
}
