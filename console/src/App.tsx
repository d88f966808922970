import { lazy, Suspense, useCallback, useEffect, useState, type FormEvent } from 'react';
import { adminSecret, ApiError, postJSON, setAdminSecret } from './api';
import { ErrorBoundary, ErrorMessage, Link, Loading } from './components';
import { DataPage } from './pages/DataPage';
import { SqlPage } from './pages/SqlPage';
import { navigate, usePath } from './router';

// probe checks whether the admin secret (or none) gives admin access:
// export_metadata answers only admins.
async function probe(secret: string | null): Promise<void> {
  await postJSON('/v1/metadata', { type: 'export_metadata', args: {} }, secret ? { 'x-hasura-admin-secret': secret } : {});
}

type Auth =
  | { state: 'checking' }
  | { state: 'login'; error?: unknown }
  | { state: 'unreachable'; error: unknown }
  | { state: 'in'; withSecret: boolean };

function isDenied(e: unknown): boolean {
  return e instanceof ApiError && ['access-denied', 'invalid-headers', 'invalid-jwt', 'jwt-invalid-claims'].includes(e.code);
}

export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });

  const check = useCallback(async () => {
    setAuth({ state: 'checking' });
    const stored = adminSecret();
    try {
      await probe(stored);
      setAuth({ state: 'in', withSecret: !!stored });
    } catch (e) {
      if (isDenied(e)) {
        if (stored) setAdminSecret(null);
        setAuth({ state: 'login', error: stored ? e : undefined });
      } else {
        setAuth({ state: 'unreachable', error: e });
      }
    }
  }, []);

  useEffect(() => {
    check();
  }, [check]);

  switch (auth.state) {
    case 'checking':
      return (
        <main className="centered">
          <Loading what="the console" />
        </main>
      );
    case 'unreachable':
      return (
        <main className="centered">
          <h1>graft console</h1>
          <ErrorMessage error={auth.error} onRetry={check} />
        </main>
      );
    case 'login':
      return <Login initialError={auth.error} onSignedIn={() => setAuth({ state: 'in', withSecret: true })} />;
    case 'in':
      return (
        <Shell
          withSecret={auth.withSecret}
          onSignOut={() => {
            setAdminSecret(null);
            sessionStorage.removeItem('graft.headers');
            check();
          }}
        />
      );
  }
}

function Login({ initialError, onSignedIn }: { initialError?: unknown; onSignedIn: () => void }) {
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<unknown>(initialError);
  const [busy, setBusy] = useState(false);
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await probe(secret);
      setAdminSecret(secret);
      onSignedIn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="centered">
      <form className="login" onSubmit={submit}>
        <h1>graft console</h1>
        <p>This graft has an admin secret. Enter it to use the console; it is kept for this browser session only.</p>
        <label htmlFor="admin-secret">Admin secret</label>
        <input id="admin-secret" type="password" autoComplete="current-password" autoFocus value={secret} onChange={(e) => setSecret(e.target.value)} />
        <button type="submit" disabled={busy || secret === ''}>
          Sign in
        </button>
        <ErrorMessage error={error} />
      </form>
    </main>
  );
}

// GraphiQL is most of the console's code: load it with the API page.
const ApiPage = lazy(() => import('./pages/ApiPage').then((m) => ({ default: m.ApiPage })));

const pages = [
  { name: 'API', path: '/api' },
  { name: 'Data', path: '/data' },
  { name: 'SQL', path: '/sql' },
];

function Shell({ withSecret, onSignOut }: { withSecret: boolean; onSignOut: () => void }) {
  const path = usePath();
  useEffect(() => {
    if (path === '/' || path === '') navigate('/api', true);
  }, [path]);
  const section = pages.find((p) => path === p.path || path.startsWith(p.path + '/'));
  useEffect(() => {
    document.title = section ? `${section.name} · graft console` : 'graft console';
  }, [section]);
  let page;
  if (!section) {
    page = path === '/' ? null : (
      <div className="page">
        <ErrorMessage error={new ApiError(`there is no console page at ${path}`, 'not-found')} />
        <Link to="/api">Go to the API page</Link>
      </div>
    );
  } else if (section.path === '/api')
    page = (
      <Suspense fallback={<div className="page"><Loading what="GraphiQL" /></div>}>
        <ApiPage />
      </Suspense>
    );
  else if (section.path === '/data') page = <DataPage path={path.slice('/data'.length)} />;
  else page = <SqlPage />;
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">graft</span>
        <nav aria-label="Main">
          {pages.map((p) => (
            <Link key={p.path} to={p.path} className={section === p ? 'active' : undefined} aria-current={section === p ? 'page' : undefined}>
              {p.name}
            </Link>
          ))}
        </nav>
        <span className="spacer" />
        {withSecret && (
          <button type="button" className="link-button" onClick={onSignOut}>
            Sign out
          </button>
        )}
      </header>
      <ErrorBoundary resetKey={section?.path}>{page}</ErrorBoundary>
    </div>
  );
}
