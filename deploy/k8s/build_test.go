// Package k8s_test checks ShopLab's Kubernetes manifests without a
// cluster: each kustomization is built with kustomize's Go API, every
// resource is decoded strictly into the official API types (a misspelt or
// misplaced field fails), and the decoded objects are held to the rules of
// docs/scale-out.md (rules_test.go).
package k8s_test

import (
	"fmt"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// objects are the resources of one built kustomization, by kind.
type objects struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	configMaps  []corev1.ConfigMap
	secrets     []corev1.Secret
	namespaces  []corev1.Namespace
	pdbs        []policyv1.PodDisruptionBudget
	// custom are the resources of kinds with no Go type here (Strimzi's,
	// CloudNativePG's), decoded as maps.
	custom []map[string]any
}

// build runs kustomize on dir, a directory of this repository, as
// `kubectl kustomize` would. outside lets it read files outside dir, as
// --load-restrictor=LoadRestrictionsNone does (the observability
// kustomization reads the repository's dashboards).
func build(dir string, outside bool) ([][]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	if outside {
		opts.LoadRestrictions = types.LoadRestrictionsNone
	}
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var docs [][]byte
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		docs = append(docs, y)
	}
	return docs, nil
}

// decode sorts docs into objects, decoding each strictly: a field the API
// type does not have is an error, as it would be for `kubectl apply
// --validate=strict`.
func decode(docs [][]byte, allowCustom bool) (objects, error) {
	var o objects
	for _, doc := range docs {
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return o, err
		}
		var err error
		switch meta.APIVersion + " " + meta.Kind {
		case "apps/v1 Deployment":
			var d appsv1.Deployment
			err = yaml.UnmarshalStrict(doc, &d)
			o.deployments = append(o.deployments, d)
		case "v1 Service":
			var s corev1.Service
			err = yaml.UnmarshalStrict(doc, &s)
			o.services = append(o.services, s)
		case "v1 ConfigMap":
			var c corev1.ConfigMap
			err = yaml.UnmarshalStrict(doc, &c)
			o.configMaps = append(o.configMaps, c)
		case "v1 Secret":
			var s corev1.Secret
			err = yaml.UnmarshalStrict(doc, &s)
			o.secrets = append(o.secrets, s)
		case "v1 Namespace":
			var n corev1.Namespace
			err = yaml.UnmarshalStrict(doc, &n)
			o.namespaces = append(o.namespaces, n)
		case "policy/v1 PodDisruptionBudget":
			var p policyv1.PodDisruptionBudget
			err = yaml.UnmarshalStrict(doc, &p)
			o.pdbs = append(o.pdbs, p)
		default:
			if !allowCustom {
				return o, fmt.Errorf("unexpected resource %s %s", meta.APIVersion, meta.Kind)
			}
			var m map[string]any
			err = yaml.UnmarshalStrict(doc, &m)
			o.custom = append(o.custom, m)
		}
		if err != nil {
			return o, fmt.Errorf("%s %s: %w", meta.APIVersion, meta.Kind, err)
		}
	}
	return o, nil
}

// load builds and decodes dir, failing t on any error.
func load(t *testing.T, dir string) objects {
	t.Helper()
	docs, err := build(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	o, err := decode(docs, false)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return o
}
