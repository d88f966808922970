import { Component, type ErrorInfo, type MouseEvent, type ReactNode } from 'react';
import { ApiError, toApiError } from './api';
import { href, navigate } from './router';

/** ErrorMessage shows a failed call: graft's message and code. */
export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const e = toApiError(error);
  return (
    <div className="error" role="alert">
      <strong>Error</strong> <code className="error-code">{e.code}</code>: <span className="error-message">{e.message}</span>
      {e.detail && <div className="error-detail">{e.detail}</div>}
      {e.path && e.path !== '$' && <div className="error-path">at {e.path}</div>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

/** Link navigates inside the console without reloading the page. */
export function Link({ to, children, className, ...rest }: { to: string; children: ReactNode; className?: string; 'aria-current'?: 'page' | undefined }) {
  const onClick = (ev: MouseEvent<HTMLAnchorElement>) => {
    if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    navigate(to);
  };
  return (
    <a href={href(to)} onClick={onClick} className={className} {...rest}>
      {children}
    </a>
  );
}

/** ErrorBoundary keeps a crash in one page from blanking the console. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, { error: Error | null; key?: string }> {
  state: { error: Error | null; key?: string } = { error: null, key: this.props.resetKey };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  static getDerivedStateFromProps(props: { resetKey?: string }, state: { error: Error | null; key?: string }) {
    if (props.resetKey !== state.key) return { error: null, key: props.resetKey };
    return null;
  }
  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('console page crashed', error, info.componentStack);
  }
  render() {
    if (this.state.error) {
      return (
        <div className="page">
          <ErrorMessage error={new ApiError(`this page failed: ${this.state.error.message}`, 'console-error')} />
          <button type="button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}
