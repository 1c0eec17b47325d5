// Filled in by the database test support (template database per run).
export default async function setup(): Promise<void> {}
