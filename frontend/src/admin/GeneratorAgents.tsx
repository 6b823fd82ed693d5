import { useState, type FormEvent } from 'react';
import { useApi } from '../api/hooks';
import { Dialog } from '../components/Dialog';
import { ErrorState } from '../components/ErrorState';
import { Spinner } from '../components/Spinner';
import { listAgents, registerAgent, setAgentEnabled } from './adminApi';
import { formatDateTime } from './format';
import type { GpuAgent, RegisteredAgent } from './types';
import { useAdminAction } from './useAdminAction';

const AGENTS_KEY = ['admin', 'generator', 'agents'];
const POLL_MS = 10_000;

/** GPU agents: online/busy state, enable/disable, and registration with the key shown once. */
export default function GeneratorAgents() {
  const agents = useApi(AGENTS_KEY, listAgents, { refetchInterval: POLL_MS });
  const [name, setName] = useState('');
  const [endpoint, setEndpoint] = useState('');
  const [registered, setRegistered] = useState<RegisteredAgent | null>(null);
  const register = useAdminAction(() => registerAgent(name.trim(), endpoint.trim() || undefined), {
    success: (r) => `Agent ${r.agent.name} registered`,
    invalidate: [AGENTS_KEY],
    onSuccess: (r) => {
      setRegistered(r);
      setName('');
      setEndpoint('');
    },
  });
  const toggle = useAdminAction(({ agent, enabled }: { agent: GpuAgent; enabled: boolean }) =>
    setAgentEnabled(agent.id, enabled), {
    success: (a) => `Agent ${a.name} ${a.enabled ? 'enabled' : 'disabled'}`,
    invalidate: [AGENTS_KEY],
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (name.trim()) register.mutate(undefined);
  }

  return (
    <section className="admin-panel" aria-labelledby="generator-agents-title">
      <h3 id="generator-agents-title">GPU agents</h3>
      {agents.error ? (
        <ErrorState error={agents.error} />
      ) : agents.isLoading ? (
        <Spinner />
      ) : (agents.data ?? []).length === 0 ? (
        <p className="admin-muted">No agents registered.</p>
      ) : (
        <div className="admin-table-wrap">
          <table className="admin-table">
            <caption className="vs-visually-hidden">GPU agents</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Mode</th>
                <th scope="col">State</th>
                <th scope="col">Last seen</th>
                <th scope="col">Enabled</th>
              </tr>
            </thead>
            <tbody>
              {(agents.data ?? []).map((agent) => (
                <tr key={agent.id}>
                  <td>{agent.name}</td>
                  <td>{agent.mode}</td>
                  <td>
                    <span className={agent.online ? 'admin-badge is-ok' : 'admin-badge'}>
                      {agent.online ? 'Online' : 'Offline'}
                    </span>
                    {agent.busy && <span className="admin-badge is-warn">Busy</span>}
                  </td>
                  <td>{formatDateTime(agent.lastSeenAt)}</td>
                  <td>
                    <input
                      type="checkbox"
                      role="switch"
                      aria-label={`Enabled: ${agent.name}`}
                      checked={agent.enabled}
                      disabled={toggle.isPending}
                      onChange={(e) => toggle.mutate({ agent, enabled: e.target.checked })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form className="admin-form admin-form--row" onSubmit={submit}>
        <label className="admin-field">
          <span className="admin-field__label">Agent name</span>
          <input required maxLength={80} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="admin-field">
          <span className="admin-field__label">Push endpoint (optional)</span>
          <input
            type="url"
            placeholder="https://gpu-node.example.com"
            value={endpoint}
            onChange={(e) => setEndpoint(e.target.value)}
          />
          <span className="admin-hint">Leave empty for a pull agent (works behind NAT).</span>
        </label>
        <button className="vs-button" type="submit" disabled={!name.trim() || register.isPending}>
          Register agent
        </button>
      </form>
      {registered && (
        <Dialog open title="Agent key" onClose={() => setRegistered(null)}>
          <p>
            The key of <strong>{registered.agent.name}</strong> is shown only now. Set it as <code>VS_AGENT_KEY</code> on
            the GPU node.
          </p>
          <code className="admin-secret" data-testid="agent-key">
            {registered.token}
          </code>
          <div className="admin-dialog-actions">
            <button className="vs-button" type="button" onClick={() => navigator.clipboard?.writeText(registered.token)}>
              Copy key
            </button>
            <button type="button" className="vs-button vs-button--primary" onClick={() => setRegistered(null)}>
              Done
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
