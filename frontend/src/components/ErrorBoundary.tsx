import { Component, type ErrorInfo, type ReactNode } from "react";

interface State {
  error: Error | null;
}

/** Keeps the shell usable when one page throws while rendering (or its code fails to load after a
 * new deployment), and offers a reload. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: unknown }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidUpdate(previous: { resetKey?: unknown }) {
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error("Page failed to render", error, info.componentStack);
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <section className="vs-error" role="alert">
        <h2 className="vs-error__title">This page could not be shown</h2>
        <p>{this.state.error.message}</p>
        <button type="button" className="vs-button" onClick={() => window.location.reload()}>
          Reload
        </button>
      </section>
    );
  }
}
