/** Workspaces, users and deals written straight to the database, for tests that read them back. */
import type { Db } from "../../src/db/client.js";

export async function createWorkspace(db: Db, name: string, crm: "SALESFORCE" | "HUBSPOT" | null = "SALESFORCE") {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "");
  const workspace = await db.workspace.create({
    data: {
      name,
      users: {
        create: [
          { email: `admin@${slug}.test`, name: `${name} Admin`, role: "ADMIN" },
          { email: `member@${slug}.test`, name: `${name} Member`, role: "MEMBER" },
        ],
      },
    },
    include: { users: { orderBy: { email: "asc" } } },
  });
  if (crm) await db.crmConnection.create({ data: { workspaceId: workspace.id, provider: crm } });
  const [admin, member] = workspace.users;
  return { workspace, admin: admin!, member: member! };
}
