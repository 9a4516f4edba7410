/**
 * The state table on AWS, built from the same plain definition dynalite and the tests use
 * (adapters/dynamodb/tables.ts), so keys and indexes cannot drift between local mode and the
 * cloud. Only the AWS-specific properties (encryption, backups, deletion protection) live here.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { KeyAttribute, TableDefinition } from '../../adapters/dynamodb/tables.ts';

export interface StateTableProps {
  /** The table's keys, indexes and TTL attribute. */
  readonly definition: TableDefinition;
  /**
   * Refuse `DeleteTable` (also from CloudFormation). While on, the table is retained when the
   * stack is destroyed; turn it off first to really delete the data.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * A customer managed KMS key for encryption at rest.
   * @default - the AWS managed key for DynamoDB (`alias/aws/dynamodb`)
   */
  readonly encryptionKey?: kms.IKey;
}

const ATTRIBUTE_TYPES: Record<KeyAttribute['type'], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}

/** One on-demand, encrypted, point-in-time-recoverable DynamoDB table from a TableDefinition. */
export class StateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    const { definition } = props;
    if (definition.billingMode !== 'PAY_PER_REQUEST') {
      throw new Error(`table '${definition.name}' has billingMode '${String(definition.billingMode)}', expected 'PAY_PER_REQUEST': Gennaker costs nothing while idle`);
    }
    const deletionProtection = props.deletionProtection ?? true;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(definition.partitionKey),
      sortKey: attribute(definition.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
      deletionProtection,
      timeToLiveAttribute: definition.timeToLiveAttribute,
      // With deletion protection on, `cdk destroy` must leave the data alone rather than fail.
      removalPolicy: deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const index of definition.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }
}
