import { createRoundRobin, simulate } from '../../src/index.ts';

const result = simulate({
  jobs: [
    { id: 'A', arrival: 0, length: 100 },
    { id: 'B', arrival: 0, length: 200 },
    { id: 'C', arrival: 0, length: 300 },
  ],
  policy: () => createRoundRobin({ quantum: 10 }),
});

for (const s of result.segments.slice(0, 4)) console.log(`cpu${s.cpu} ${s.start}-${s.end}: ${s.id}`);
for (const j of result.jobs) console.log(`${j.id}: response ${j.response}, turnaround ${j.turnaround}, wait ${j.wait}`);
console.log(`averages: ${JSON.stringify(result.averages)}`);
