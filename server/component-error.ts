/**
 * A start that fails because a configured service cannot be reached says which component, which variable and which
 * address (issue 18 item 2), never a bare `connect ECONNREFUSED`.
 */
export class ComponentUnreachableError extends Error {
  override name = 'ComponentUnreachableError';
  constructor(
    readonly component: string,
    readonly variable: string,
    readonly url: string,
    override readonly cause: unknown,
  ) {
    const reason = (cause as { code?: string })?.code ?? (cause instanceof Error ? cause.message : String(cause));
    super(`${component}: cannot reach ${addressOf(url)} (${variable}=${redact(url)}): ${reason}`);
  }
}

/** host:port of a service URL. */
export function addressOf(url: string): string {
  try {
    const u = new URL(url);
    return u.host || url;
  } catch {
    return url;
  }
}

/** The URL without its password, for logs and messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** Runs the first contact with a service; a failure becomes a ComponentUnreachableError. */
export async function reaching<T>(component: string, variable: string, url: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ComponentUnreachableError) throw error;
    throw new ComponentUnreachableError(component, variable, url, error);
  }
}
