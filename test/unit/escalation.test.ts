import { MemoryIncidentStore } from '../support/memory-incident-store.ts';
import { RecordingPager } from '../support/escalation-harness.ts';
import { escalationScenarios } from '../support/escalation-scenarios.ts';

escalationScenarios('escalation over the in-memory incident store', async () => ({
  store: new MemoryIncidentStore(),
  pager: new RecordingPager(),
}));
