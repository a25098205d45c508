import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE } from '../../lib/deliveries/table.js';

export interface DeliveryTableProps {
  /** Keep the table (and refuse deletion) when the stack goes away. */
  retainData: boolean;
}

/** The attributes an index projects: the shared list minus the index's own keys (projected anyway). */
export function projectedNonKeyAttributes(indexKeys: readonly string[]): string[] {
  return TABLE.projectedAttributes.filter((name) => !indexKeys.includes(name));
}

/**
 * The bridge's one DynamoDB table (deliveries, effect keys, notifier state; layout in
 * lib/deliveries/table.ts, the same one lib/local/create-table.ts builds for dynalite).
 * On-demand: webhook traffic comes in bursts (a pipeline with 200 jobs sends 400 job events in
 * minutes) and idles between them, the case on-demand capacity is priced for.
 */
export class DeliveryTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: DeliveryTableProps) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The delivery log is what an operator replays from after an incident: `cdk destroy`
      // leaves it in place and CloudFormation refuses to delete it by accident.
      deletionProtection: props.retainData,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const index of [
      { name: TABLE.byProjectIndex, partition: TABLE.projectAttribute },
      { name: TABLE.byStatusIndex, partition: TABLE.statusAttribute },
    ]) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partition, type: AttributeType.STRING },
        sortKey: { name: TABLE.sortAttribute, type: AttributeType.STRING },
        projectionType: ProjectionType.INCLUDE,
        nonKeyAttributes: projectedNonKeyAttributes([index.partition, TABLE.sortAttribute]),
      });
    }
  }
}
