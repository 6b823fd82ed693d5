// Signals from the transport layer to the shell: the API said "maintenance" or rejected our token.
type Handler = () => void;

const maintenanceHandlers = new Set<Handler>();

export function onMaintenance(handler: Handler): () => void {
  maintenanceHandlers.add(handler);
  return () => maintenanceHandlers.delete(handler);
}

export function emitMaintenance(): void {
  maintenanceHandlers.forEach((h) => h());
}
