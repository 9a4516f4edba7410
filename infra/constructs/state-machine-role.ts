/**
 * The role every pipeline state machine runs under. A compiled pipeline's Tasks invoke the stage
 * runner and nothing else (DESIGN.md §4), so that is all this role may do: no other function,
 * no other service. The publisher passes it to CreateStateMachine.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface StateMachineRoleProps {
  /** The stage runner's unqualified function ARN. */
  readonly stageRunnerArn: string;
}

/** Assumed by Step Functions; may invoke only the stage runner (and its versions and aliases). */
export class StateMachineRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: StateMachineRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'Runs Gennaker pipeline state machines: may invoke only the stage runner',
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      // `:*` covers the qualified ARNs (versions and aliases) of this one function only.
      resources: [props.stageRunnerArn, `${props.stageRunnerArn}:*`],
    }));
  }
}
