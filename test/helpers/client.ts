/**
 * A browser-like HTTP client for route tests: keeps cookies, finds the CSRF
 * token in pages, and does not follow redirects (tests assert them).
 */
export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly location: string | null;
  json<T = unknown>(): T;
}

export class TestClient {
  private readonly cookies = new Map<string, string>();
  private csrfToken: string | undefined;

  constructor(readonly baseUrl: string) {}

  async request(
    method: string,
    path: string,
    options: { body?: string | Buffer | FormData; headers?: Record<string, string> } = {},
  ): Promise<TestResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader();
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: options.body as RequestInit['body'],
      redirect: 'manual',
    });
    // A new session (login, logout) comes with a new CSRF token: forget the old one.
    if (response.headers.getSetCookie().length > 0) this.csrfToken = undefined;
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text);
    if (token) this.csrfToken = token[1];
    return {
      status: response.status,
      headers: response.headers,
      text,
      location: response.headers.get('location'),
      json: <T>() => JSON.parse(text) as T,
    };
  }

  /** The Cookie header this client sends, for a request made with fetch itself. */
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(path: string, headers: Record<string, string> = {}): Promise<TestResponse> {
    return this.request('GET', path, { headers });
  }

  /** The CSRF token of this client's session, fetching a page to get one if needed. */
  async csrf(): Promise<string> {
    if (!this.csrfToken) await this.get('/auth/login');
    return this.csrfToken!;
  }

  /** Posts a form; adds the session's CSRF token unless `csrf: false` or one is given. */
  async post(
    path: string,
    form: Record<string, string | string[]> = {},
    options: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<TestResponse> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) {
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
    }
    if (options.csrf !== false && !('_csrf' in form)) params.set('_csrf', await this.csrf());
    return this.request('POST', path, {
      body: params.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
    });
  }

  async register(
    username: string,
    password = 'correct horse battery',
    email?: string,
  ): Promise<TestResponse> {
    return this.post('/auth/register', {
      username,
      email: email ?? `${username.toLowerCase()}@example.test`,
      password,
      password_confirm: password,
    });
  }

  async login(username: string, password = 'correct horse battery'): Promise<TestResponse> {
    return this.post('/auth/login', { username, password });
  }
}

/** JSON API calls with a bearer token. */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
