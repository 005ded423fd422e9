/** Entities shown on the map (aircraft, ...) and the current selection, shared by plugins. */
import { computed, ref, shallowRef, triggerRef } from "vue";
import type { Entity, StateApi } from "@tangram/api";

type EntityMaps = Map<string, Map<string, Entity>>;

export function createStateStore(): StateApi {
  const entities = shallowRef<EntityMaps>(new Map());
  const selected = shallowRef<readonly Entity[]>([]);
  const following = ref(false);

  const key = (id: string, typeName: string): string => `${typeName}\u0000${id}`;

  return {
    entities,
    selected,
    selectedEntity: computed(() => selected.value[0] ?? null),
    replaceEntities(typeName, items) {
      const byId = new Map<string, Entity>();
      for (const entity of items) byId.set(entity.id, entity);
      entities.value.set(typeName, byId);
      triggerRef(entities);
      // Keep the selected objects fresh (same id, newer state) without dropping them:
      // a selected aircraft outside the view must stay selected.
      if (selected.value.some((entity) => entity.typeName === typeName)) {
        selected.value = selected.value.map((entity) =>
          entity.typeName === typeName ? (byId.get(entity.id) ?? entity) : entity,
        );
      }
    },
    getEntities<S>(typeName: string) {
      return [...(entities.value.get(typeName)?.values() ?? [])] as Entity<S>[];
    },
    following,
    setFollowing(on) {
      following.value = on && selected.value.length > 0;
    },
    select(entity, additive = false) {
      const current = selected.value[0];
      if (entity === null || !current || key(current.id, current.typeName) !== key(entity.id, entity.typeName)) {
        following.value = false;
      }
      if (entity === null) {
        selected.value = [];
        return;
      }
      const others = additive
        ? selected.value.filter((item) => key(item.id, item.typeName) !== key(entity.id, entity.typeName))
        : [];
      selected.value = [...others, entity];
    },
    isSelected(id, typeName) {
      return selected.value.some((entity) => entity.id === id && entity.typeName === typeName);
    },
  };
}
