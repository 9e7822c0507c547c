// AWS CDK synthesising the topology of `infrac-bench build`: N fragments, each
// an internet-facing ALB with its security group, an HTTP listener forwarding
// to one target group and a `/api/*` rule forwarding to another, an Auto
// Scaling group (launch template) registered with both and tracking requests
// per target, and an internal NLB with a TCP listener and its target group
// (the same instances). Plain JavaScript with app.synth(): no CDK CLI.
//
//   node synth.js N OUTDIR
'use strict';

const cdk = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const elbv2 = require('aws-cdk-lib/aws-elasticloadbalancingv2');
const autoscaling = require('aws-cdk-lib/aws-autoscaling');

const n = Number(process.argv[2]);
const outdir = process.argv[3];
if (!Number.isInteger(n) || n < 1 || !outdir) {
  console.error('usage: node synth.js N OUTDIR');
  process.exit(2);
}

// CloudFormation takes at most 500 resources a stack; CDK refuses more unless
// told otherwise. Both sides only synthesise here: nothing is deployed.
const app = new cdk.App({ outdir, context: { '@aws-cdk/core:stackResourceLimit': 0 } });
const stack = new cdk.Stack(app, 'Bench', { env: { account: '123456789012', region: 'us-east-1' } });

// The same network as the infrac file: one VPC, two public subnets.
const vpc = new ec2.Vpc(stack, 'Main', {
  ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
  availabilityZones: ['us-east-1a', 'us-east-1b'],
  natGateways: 0,
  subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 18 }],
});
const image = ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' });

for (let i = 0; i < n; ++i) {
  const albSg = new ec2.SecurityGroup(stack, `AlbSg${i}`, { vpc, allowAllOutbound: false });
  albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80));
  const alb = new elbv2.ApplicationLoadBalancer(stack, `Alb${i}`, {
    vpc, internetFacing: true, securityGroup: albSg, dropInvalidHeaderFields: true,
  });
  const http = alb.addListener(`Http${i}`, { port: 80, open: false });
  const web = new elbv2.ApplicationTargetGroup(stack, `Web${i}`, {
    vpc, port: 8080, protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.INSTANCE,
    deregistrationDelay: cdk.Duration.seconds(30),
    stickinessCookieDuration: cdk.Duration.days(1),
    healthCheck: { path: '/health', interval: cdk.Duration.seconds(15) },
  });
  const api = new elbv2.ApplicationTargetGroup(stack, `Api${i}`, {
    vpc, port: 8080, protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.INSTANCE,
    slowStart: cdk.Duration.seconds(60),
    healthCheck: { path: '/api/health' },
  });
  http.addTargetGroups(`Default${i}`, { targetGroups: [web] });
  http.addTargetGroups(`ApiRule${i}`, {
    priority: 10,
    conditions: [elbv2.ListenerCondition.pathPatterns(['/api/*'])],
    targetGroups: [api],
  });

  const lt = new ec2.LaunchTemplate(stack, `Lt${i}`, {
    machineImage: image,
    instanceType: new ec2.InstanceType('t3.small'),
    requireImdsv2: true,
    securityGroup: new ec2.SecurityGroup(stack, `AppSg${i}`, { vpc }),
  });
  const asg = new autoscaling.AutoScalingGroup(stack, `Asg${i}`, {
    vpc, launchTemplate: lt, minCapacity: 2, maxCapacity: 10, desiredCapacity: 3,
    defaultInstanceWarmup: cdk.Duration.seconds(60),
    healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
      additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
      gracePeriod: cdk.Duration.seconds(60),
    }),
  });
  web.addTarget(asg);
  api.addTarget(asg);
  // asg.scaleOnRequestCount() refuses a group with several target groups:
  // the policy it would write, on `web`.
  const requests = new autoscaling.TargetTrackingScalingPolicy(stack, `Requests${i}`, {
    autoScalingGroup: asg,
    predefinedMetric: autoscaling.PredefinedMetric.ALB_REQUEST_COUNT_PER_TARGET,
    resourceLabel: `${alb.loadBalancerFullName}/${web.targetGroupFullName}`,
    targetValue: 1000,
  });
  requests.node.addDependency(web.loadBalancerAttached);

  const nlb = new elbv2.NetworkLoadBalancer(stack, `Nlb${i}`, { vpc, internetFacing: false });
  nlb.addListener(`Tcp${i}`, { port: 7000 }).addTargets(`Tcp${i}`, { port: 7000, targets: [asg] });
}

app.synth();
