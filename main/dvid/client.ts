/**
 * One DVID server: the HTTP layer plus an accessor per datatype, bound to a full node UUID (resolve a
 * person's `abc:master` once with `repos.resolve`, then pass the UUID here).
 */
import { Annotation } from './annotation';
import { DvidHttp, type DvidHttpOptions } from './http';
import { KeyValueStore } from './keyvalue';
import { Labelmap } from './labelmap';
import { Labelsz } from './labelsz';
import type { Uuid } from './paths';
import { DvidRepos } from './repo';
import { Roi } from './roi';

export class DvidClient {
  readonly http: DvidHttp;
  readonly repos: DvidRepos;

  constructor(opts: DvidHttpOptions) {
    this.http = new DvidHttp(opts);
    this.repos = new DvidRepos(this.http);
  }

  labelmap(uuid: Uuid, name: string): Labelmap {
    return new Labelmap(this.http, uuid, name);
  }

  annotation(uuid: Uuid, name: string): Annotation {
    return new Annotation(this.http, uuid, name);
  }

  keyvalue(uuid: Uuid, name: string): KeyValueStore {
    return new KeyValueStore(this.http, uuid, name);
  }

  roi(uuid: Uuid, name: string): Roi {
    return new Roi(this.http, uuid, name);
  }

  labelsz(uuid: Uuid, name: string): Labelsz {
    return new Labelsz(this.http, uuid, name);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
