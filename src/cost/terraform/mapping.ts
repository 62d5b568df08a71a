// Which Terraform resource types shipgate prices, which cost nothing, and the mapping of each.
import type { Attributes } from "./attributes.js";
import { awsAutoscalingGroup, awsEbsVolume, awsEksNodeGroup, awsInstance } from "./aws-compute.js";
import {
  awsDataTransfer,
  awsDbInstance,
  awsEip,
  awsEksCluster,
  awsLambdaFunction,
  awsLb,
  awsNatGateway,
  awsS3Bucket,
} from "./aws-services.js";
import type { MapContext, Mapped } from "./components.js";
import {
  azurermLinuxVirtualMachine,
  azurermManagedDisk,
  googleComputeDisk,
  googleComputeInstance,
} from "./gcp-azure.js";

export type Mapper = (values: Attributes, mapped: Mapped, context: MapContext) => void;

export const MAPPERS: Readonly<Record<string, Mapper>> = {
  aws_instance: awsInstance,
  aws_autoscaling_group: awsAutoscalingGroup,
  aws_eks_node_group: awsEksNodeGroup,
  aws_eks_cluster: awsEksCluster,
  aws_ebs_volume: awsEbsVolume,
  aws_db_instance: awsDbInstance,
  aws_lb: awsLb,
  aws_alb: awsLb,
  aws_nat_gateway: awsNatGateway,
  aws_eip: awsEip,
  aws_s3_bucket: awsS3Bucket,
  aws_lambda_function: awsLambdaFunction,
  google_compute_instance: googleComputeInstance,
  google_compute_disk: googleComputeDisk,
  azurerm_linux_virtual_machine: azurermLinuxVirtualMachine,
  azurerm_managed_disk: azurermManagedDisk,
};

/** Resources that live only in the usage file (Infracost's convention). */
export const USAGE_ONLY: Readonly<Record<string, Mapper>> = {
  aws_data_transfer: awsDataTransfer,
};

/**
 * Types with no charge of their own: configuration, identity and networking glue, and the launch
 * templates whose instances are priced with the group that runs them.
 */
const FREE = new Set([
  "aws_launch_template",
  "aws_launch_configuration",
  "aws_autoscaling_policy",
  "aws_autoscaling_attachment",
  "aws_vpc",
  "aws_subnet",
  "aws_route",
  "aws_route_table",
  "aws_route_table_association",
  "aws_internet_gateway",
  "aws_security_group",
  "aws_security_group_rule",
  "aws_vpc_security_group_ingress_rule",
  "aws_vpc_security_group_egress_rule",
  "aws_network_acl",
  "aws_eip_association",
  "aws_lb_listener",
  "aws_lb_listener_rule",
  "aws_lb_target_group",
  "aws_lb_target_group_attachment",
  "aws_db_subnet_group",
  "aws_db_parameter_group",
  "aws_key_pair",
  "aws_s3_bucket_policy",
  "aws_s3_bucket_acl",
  "aws_s3_bucket_versioning",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_s3_bucket_ownership_controls",
  "aws_lambda_permission",
  "aws_eks_addon",
  "aws_iam_role",
  "aws_iam_policy",
  "aws_iam_role_policy",
  "aws_iam_role_policy_attachment",
  "aws_iam_instance_profile",
  "aws_appautoscaling_target",
  "aws_appautoscaling_policy",
  "google_compute_network",
  "google_compute_subnetwork",
  "google_compute_firewall",
  "google_service_account",
  "google_project_iam_member",
  "azurerm_resource_group",
  "azurerm_virtual_network",
  "azurerm_subnet",
  "azurerm_network_interface",
  "azurerm_network_security_group",
  "azurerm_subnet_network_security_group_association",
  "null_resource",
  "terraform_data",
  "random_id",
  "random_password",
  "random_string",
  "tls_private_key",
  "time_sleep",
]);

export function isFree(type: string): boolean {
  return FREE.has(type);
}
