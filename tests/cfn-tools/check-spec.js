#!/usr/bin/env node
// Checks CloudFormation templates (JSON) against the CloudFormation resource
// specification shipped in npm @aws-cdk/cfnspec: every resource type exists,
// every property (nested ones too) exists with the primitive type the
// specification gives (a JSON string for String, an integer for Integer and
// Long, a number for Double, true or false for Boolean), required properties
// are present, and every Ref, Fn::GetAtt (attribute included) and DependsOn
// names something the template declares.
//
//   node check-spec.js TEMPLATE.json...
//
// Prints one line per problem ("file: Resources.X.Properties.Y: message") and
// a summary; exits 1 when there are problems, 2 on a usage or read error.
'use strict';

const fs = require('fs');
const { specification } = require('@aws-cdk/cfnspec');

const spec = specification();
const INTRINSICS = new Set([
  'Ref', 'Fn::GetAtt', 'Fn::Join', 'Fn::Base64', 'Fn::Sub', 'Fn::Select', 'Fn::Split',
  'Fn::GetAZs', 'Fn::If', 'Fn::ImportValue', 'Fn::FindInMap', 'Fn::Cidr',
]);
const RESOURCE_KEYS = new Set([
  'Type', 'Properties', 'DependsOn', 'Condition', 'Metadata', 'DeletionPolicy',
  'UpdateReplacePolicy', 'CreationPolicy', 'UpdatePolicy',
]);
const TOP_KEYS = new Set([
  'AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Mappings',
  'Conditions', 'Transform', 'Resources', 'Outputs',
]);
const PARAMETER_TYPES = /^(String|Number|List<Number>|CommaDelimitedList|AWS::[A-Za-z0-9:]+|List<AWS::[A-Za-z0-9:]+>|AWS::SSM::Parameter::Value<.+>)$/;

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/// The intrinsic function of a value, if it is one ({"Ref": ...}).
function intrinsicOf(v) {
  if (!isObject(v)) return null;
  const keys = Object.keys(v);
  return keys.length === 1 && INTRINSICS.has(keys[0]) ? keys[0] : null;
}

class Checker {
  constructor(file, template) {
    this.file = file;
    this.t = template;
    this.problems = [];
    this.properties = 0;
    this.resources = isObject(template.Resources) ? template.Resources : {};
    this.parameters = isObject(template.Parameters) ? template.Parameters : {};
  }

  report(path, message) {
    this.problems.push(`${this.file}: ${path}: ${message}`);
  }

  run() {
    for (const key of Object.keys(this.t))
      if (!TOP_KEYS.has(key)) this.report(key, `unknown template section '${key}'`);
    for (const [id, p] of Object.entries(this.parameters)) {
      if (!/^[A-Za-z0-9]{1,255}$/.test(id)) this.report(`Parameters.${id}`, 'logical id is not alphanumeric');
      if (!isObject(p) || typeof p.Type !== 'string' || !PARAMETER_TYPES.test(p.Type))
        this.report(`Parameters.${id}`, `parameter type '${p && p.Type}' is not a CloudFormation parameter type`);
    }
    if (Object.keys(this.resources).length === 0) this.report('Resources', 'a template needs resources');
    for (const [id, r] of Object.entries(this.resources)) this.checkResource(id, r);
    if (isObject(this.t.Outputs))
      for (const [id, o] of Object.entries(this.t.Outputs)) {
        const path = `Outputs.${id}`;
        if (!/^[A-Za-z0-9]{1,255}$/.test(id)) this.report(path, 'logical id is not alphanumeric');
        if (!isObject(o) || !('Value' in o)) this.report(path, 'an output needs a Value');
        else this.checkValue(`${path}.Value`, o.Value, { PrimitiveType: 'String' }, null);
      }
    return this.problems;
  }

  checkResource(id, r) {
    const path = `Resources.${id}`;
    if (!/^[A-Za-z0-9]{1,255}$/.test(id)) this.report(path, 'logical id is not alphanumeric');
    if (!isObject(r)) return this.report(path, 'a resource is an object');
    for (const key of Object.keys(r))
      if (!RESOURCE_KEYS.has(key)) this.report(`${path}.${key}`, `unknown resource attribute '${key}'`);
    const type = spec.ResourceTypes[r.Type];
    if (!type) return this.report(`${path}.Type`, `unknown resource type '${r.Type}'`);
    if ('DependsOn' in r) {
      const deps = typeof r.DependsOn === 'string' ? [r.DependsOn] : r.DependsOn;
      if (!Array.isArray(deps)) this.report(`${path}.DependsOn`, 'DependsOn is a string or a list');
      else
        for (const d of deps)
          if (!(d in this.resources)) this.report(`${path}.DependsOn`, `depends on unknown resource '${d}'`);
          else if (d === id) this.report(`${path}.DependsOn`, 'depends on itself');
    }
    const props = r.Properties === undefined ? {} : r.Properties;
    if (!isObject(props)) return this.report(`${path}.Properties`, 'Properties is an object');
    this.checkObject(`${path}.Properties`, props, type.Properties || {}, r.Type);
  }

  /// An object against the properties of a resource or property type.
  checkObject(path, obj, specProps, resourceType) {
    for (const [name, value] of Object.entries(obj)) {
      const p = specProps[name];
      if (!p) {
        this.report(`${path}.${name}`, `unknown property '${name}' (known: ${Object.keys(specProps).sort().join(', ')})`);
        continue;
      }
      ++this.properties;
      this.checkValue(`${path}.${name}`, value, p, resourceType);
    }
    for (const [name, p] of Object.entries(specProps))
      if (p.Required && !(name in obj)) this.report(path, `required property '${name}' is missing`);
  }

  /// The specification of a property type named by a resource's property.
  propertyType(resourceType, name) {
    return (resourceType && spec.PropertyTypes[`${resourceType}.${name}`]) || spec.PropertyTypes[name];
  }

  /// A value against a property specification (PrimitiveType, Type with
  /// ItemType or PrimitiveItemType, or their union forms).
  checkValue(path, value, p, resourceType) {
    if (intrinsicOf(value)) return this.checkIntrinsic(path, value);
    if (p.PrimitiveType) return this.checkPrimitive(path, value, [p.PrimitiveType]);
    if (p.PrimitiveTypes && !p.Type && !p.Types) return this.checkPrimitive(path, value, p.PrimitiveTypes);
    if (p.Type === 'List' || p.Type === 'Map') {
      const isList = p.Type === 'List';
      if (isList ? !Array.isArray(value) : !isObject(value))
        return this.report(path, `expected a ${isList ? 'list' : 'map'}, found ${JSON.stringify(value)}`);
      const items = isList ? value.map((v, i) => [`${path}[${i}]`, v]) : Object.entries(value).map(([k, v]) => [`${path}.${k}`, v]);
      for (const [itemPath, item] of items) {
        if (p.PrimitiveItemType) this.checkValue(itemPath, item, { PrimitiveType: p.PrimitiveItemType }, resourceType);
        else if (p.PrimitiveItemTypes) this.checkValue(itemPath, item, { PrimitiveTypes: p.PrimitiveItemTypes }, resourceType);
        else if (p.ItemType) this.checkNamed(itemPath, item, p.ItemType, resourceType);
        else if (p.ItemTypes) this.checkOneOf(itemPath, item, p.ItemTypes, resourceType);
      }
      return;
    }
    if (p.Type) return this.checkNamed(path, value, p.Type, resourceType);
    if (p.Types || p.PrimitiveTypes) return this.checkOneOf(path, value, p.Types || [], resourceType, p.PrimitiveTypes || []);
    this.report(path, 'the specification gives this property no type');
  }

  checkNamed(path, value, name, resourceType) {
    const pt = this.propertyType(resourceType, name);
    if (!pt) return this.report(path, `the specification has no property type '${name}'`);
    if (pt.Properties) {
      if (!isObject(value)) return this.report(path, `expected an object (${name}), found ${JSON.stringify(value)}`);
      return this.checkObject(path, value, pt.Properties, resourceType);
    }
    this.checkValue(path, value, pt, resourceType); // An alias of another type.
  }

  checkOneOf(path, value, types, resourceType, primitives = []) {
    for (const prim of primitives) if (primitiveMatches(value, prim)) return;
    for (const name of types) {
      const trial = new Checker(this.file, this.t);
      trial.checkNamed(path, value, name, resourceType);
      if (trial.problems.length === 0) return;
    }
    this.report(path, `matches none of ${[...primitives, ...types].join(', ')}`);
  }

  checkPrimitive(path, value, types) {
    if (types.some((t) => primitiveMatches(value, t))) return;
    this.report(path, `expected ${types.join(' or ')}, found ${JSON.stringify(value)}`);
  }

  checkIntrinsic(path, value) {
    const fn = intrinsicOf(value);
    const arg = value[fn];
    if (fn === 'Ref') {
      if (typeof arg !== 'string') return this.report(path, 'Ref takes a logical id');
      if (!(arg in this.resources) && !(arg in this.parameters) && !arg.startsWith('AWS::'))
        this.report(path, `Ref to unknown resource or parameter '${arg}'`);
    } else if (fn === 'Fn::GetAtt') {
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string' || typeof arg[1] !== 'string')
        return this.report(path, 'Fn::GetAtt takes [logical id, attribute]');
      const target = this.resources[arg[0]];
      if (!target) return this.report(path, `Fn::GetAtt of unknown resource '${arg[0]}'`);
      const type = spec.ResourceTypes[target.Type];
      if (type && !(type.Attributes && arg[1] in type.Attributes))
        this.report(path, `${target.Type} has no attribute '${arg[1]}'`);
    } else if (fn === 'Fn::Join') {
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string' || !Array.isArray(arg[1]))
        return this.report(path, 'Fn::Join takes [delimiter, [values]]');
      arg[1].forEach((v, i) => this.checkValue(`${path}.Fn::Join[${i}]`, v, { PrimitiveType: 'String' }, null));
    } else if (fn === 'Fn::Base64') {
      this.checkValue(`${path}.Fn::Base64`, arg, { PrimitiveType: 'String' }, null);
    }
  }
}

function primitiveMatches(v, type) {
  switch (type) {
    case 'String':
    case 'Timestamp':
      return typeof v === 'string';
    case 'Integer':
    case 'Long':
      return Number.isInteger(v);
    case 'Double':
      return typeof v === 'number';
    case 'Boolean':
      return typeof v === 'boolean';
    case 'Json':
      return isObject(v) || typeof v === 'string';
    default:
      return false;
  }
}

function main(files) {
  if (files.length === 0) {
    console.error('usage: node check-spec.js TEMPLATE.json...');
    return 2;
  }
  let problems = [];
  let resources = 0;
  let properties = 0;
  for (const file of files) {
    let template;
    try {
      template = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      console.error(`${file}: ${e.message}`);
      return 2;
    }
    const c = new Checker(file, template);
    problems = problems.concat(c.run());
    resources += Object.keys(c.resources).length;
    properties += c.properties;
  }
  for (const p of problems) console.log(p);
  console.log(`checked ${files.length} templates, ${resources} resources, ${properties} properties ` +
              `against CloudFormation specification ${spec.ResourceSpecificationVersion}: ${problems.length} problems`);
  return problems.length ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
