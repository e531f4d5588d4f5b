// The simulator's own WSDL drives a generic SOAP client (the `soap` package) end to end.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as soap from 'soap';
import { type SimulatorHandle, startSimulator } from '../../src/simulator';
import { NO_LATENCY } from './helpers';

describe('soap package round trip', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await startSimulator({ workers: 2500, seed: 42, faults: NO_LATENCY });
  });
  after(() => sim.close());

  it('builds a client from ?wsdl and pages 2,500 workers at Count 999', async () => {
    const client = await soap.createClientAsync(`${sim.endpoint}?wsdl`);
    client.setSecurity(
      new soap.WSSecurity(sim.credentials.username, sim.credentials.password, {
        passwordType: 'PasswordText',
        hasTimeStamp: false,
      }),
    );
    const asOf = sim.admin.clock.now();
    const wids = new Set<string>();
    let pages = 0;
    for (let page = 1; ; page++) {
      // References only: node-soap needs seconds to parse full 15 MB pages, and the WIDs are the point here.
      const [result] = await client.Get_WorkersAsync({
        Response_Filter: { As_Of_Entry_DateTime: asOf, Page: page, Count: 999 },
        Response_Group: { Include_Reference: true },
      });
      const results = result.Response_Results;
      assert.equal(Number(results.Total_Results), 2500);
      assert.equal(Number(results.Total_Pages), 3);
      assert.equal(Number(results.Page), page);
      type Id = { $value: string; attributes: Record<string, string> };
      const workers = result.Response_Data.Worker as { Worker_Reference: { ID: Id[] } }[];
      assert.equal(Number(results.Page_Results), workers.length);
      for (const w of workers) {
        // node-soap keeps the attribute's prefix: wd:type.
        const wid = w.Worker_Reference.ID.find(
          (id) => (id.attributes['wd:type'] ?? id.attributes.type) === 'WID',
        );
        assert.match(wid?.$value ?? '', /^[0-9a-f]{32}$/);
        wids.add(wid!.$value);
      }
      pages++;
      if (page >= Number(results.Total_Pages)) break;
    }
    assert.equal(pages, 3);
    assert.equal(wids.size, 2500, 'three pages hold 2,500 distinct workers');
  });

  it('surfaces a validation fault as a SOAP fault the client can read', async () => {
    const client = await soap.createClientAsync(`${sim.endpoint}?wsdl`);
    client.setSecurity(
      new soap.WSSecurity(sim.credentials.username, sim.credentials.password, {
        passwordType: 'PasswordText',
        hasTimeStamp: false,
      }),
    );
    await assert.rejects(
      client.Get_WorkersAsync({ Response_Filter: { Page: 0, Count: 10 } }),
      (err: { root?: { Envelope: { Body: { Fault: { faultcode: string } } } } }) => {
        assert.equal(err.root?.Envelope.Body.Fault.faultcode, 'SOAP-ENV:Client.validationError');
        return true;
      },
    );
  });
});
