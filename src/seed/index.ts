/** `npm run db:seed`: the demo workspace with calls, on DATABASE_URL. */
import { openDatabase } from "../db/client.js";
import { seedDemo } from "./demo.js";

export default async function seed(databaseUrl: string): Promise<void> {
  const db = openDatabase(databaseUrl, { max: 2 });
  try {
    const demo = await seedDemo(db.prisma, { withCalls: true });
    console.log(`seeded workspace ${demo.workspaceId} (admin ${demo.adminId}, ${demo.memberIds.length} members)`);
  } finally {
    await db.close();
  }
}
