/** `npm run simulators`: the three provider simulators with the demo dataset, until Ctrl-C. */
import { startDemoSimulators } from "../demo/simulators.js";

const sims = await startDemoSimulators({
  ports: {
    gong: Number(process.env.GONG_SIM_PORT ?? 4101),
    salesloft: Number(process.env.SALESLOFT_SIM_PORT ?? 4102),
    clari: Number(process.env.CLARI_SIM_PORT ?? 4103),
  },
});
console.log(
  `Gong simulator        ${sims.gong.url}   (OAuth client ${sims.gong.clientId} / ${sims.gong.clientSecret})`,
);
console.log(
  `Salesloft simulator   ${sims.salesloft.url}   (OAuth client ${sims.salesloft.clientId} / ${sims.salesloft.clientSecret})`,
);
console.log(
  `Clari simulator       ${sims.clari.url}   (API key ${sims.clari.apiKeys.default.apiKey} / ${sims.clari.apiKeys.default.apiSecret})`,
);
console.log("\nPoint callsync at them with:");
for (const [k, v] of Object.entries(sims.env)) console.log(`  ${k}=${v}`);
const stop = async () => {
  await sims.close();
  process.exit(0);
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
