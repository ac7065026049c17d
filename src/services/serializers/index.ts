/** Sentry's serializers over one set of stores, built once by the composition root. */
import type { Stores } from '../../storage/stores/index.ts';
import { OrganizationSerializer } from './organization.ts';
import { ProjectSerializer } from './project.ts';
import { TeamSerializer } from './team.ts';

export class ApiSerializers {
  readonly organization: OrganizationSerializer;
  readonly team: TeamSerializer;
  readonly project: ProjectSerializer;

  constructor(stores: Stores, publicUrl: string) {
    this.organization = new OrganizationSerializer(stores, publicUrl);
    this.team = new TeamSerializer(stores);
    this.project = new ProjectSerializer(stores);
  }
}

export { viewerOf, type Viewer } from './viewer.ts';
