/**
 * The container's health check (Dockerfile HEALTHCHECK, docker-compose `service_healthy`): exits 0 when this
 * machine's server answers `GET /readyz` with 200 (HTTP listening and the store reachable), 1 otherwise. Runs with
 * plain node (no curl in the slim image); it reads the same HOST/PORT variables as the server.
 */
const host = !process.env.HOST || process.env.HOST === '0.0.0.0' ? '127.0.0.1' : process.env.HOST;
const port = process.env.PORT || '8080';
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/readyz`;

try {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(Number(process.env.HEALTHCHECK_TIMEOUT_MS) || 4000),
  });
  if (response.status !== 200) {
    console.error(`unhealthy: ${url} answered ${response.status}`);
    process.exit(1);
  }
  console.log(`healthy: ${url}`);
} catch (error) {
  console.error(`unhealthy: ${url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
