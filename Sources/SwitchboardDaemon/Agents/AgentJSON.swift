import Foundation
import SwitchboardCore
import SwitchboardStore

/// JSON shapes of the agent API and its event stream (docs/agent-api.md).
enum AgentJSON {
    static func write(_ live: TaskRuntime.LiveTask, into w: inout JSONWriter) {
        var record = live.record
        if record.plan.isEmpty { record.plan = live.plan.stored }
        write(record, into: &w)
        w.field("contact", live.contactID)
        writeSLA(live.sla, at: Date(), into: &w)
    }

    static func write(_ task: TaskRecord, into w: inout JSONWriter) {
        w.field("id", task.id)
        w.field("conversation", task.conversationID)
        w.field("message", task.messageID)
        w.field("queue", task.queue)
        w.field("channel", task.channel.rawValue)
        w.field("priority", task.priority)
        w.field("state", task.state.rawValue)
        w.fieldIfPresent("agent", task.agentID)
        w.field("created_at", RFC3339.format(task.createdAt))
        w.fieldIfPresent("first_response_at", task.firstResponseAt.map(RFC3339.format))
        w.fieldIfPresent("resolved_at", task.resolvedAt.map(RFC3339.format))
        if !task.plan.isEmpty {
            w.field("plan", sortedStrings: task.plan)
        }
    }

    static func writeSLA(_ sla: SLATracker, at now: Date, into w: inout JSONWriter) {
        w.field("sla", array: { w in
            for clock in sla.clocks {
                w.object { w in
                    w.field("clock", clock.kind.rawValue)
                    w.field("target_seconds", Int(clock.target))
                    w.field("state", clock.state.rawValue)
                    w.field("elapsed_seconds", Int(clock.elapsed(at: now)))
                    w.fieldIfPresent("deadline", clock.deadline.map(RFC3339.format))
                    w.fieldIfPresent("breached_at", clock.breachedAt.map(RFC3339.format))
                }
            }
        })
    }

    static func task(_ live: TaskRuntime.LiveTask?) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        guard let live else { return Array("{}".utf8) }
        w.object { w in write(live, into: &w) }
        return w.bytes
    }

    static func writeAgent(_ definition: AgentDefinition, status: AgentStatus, load: [Channel: Int], tasks: [TaskRuntime.LiveTask],
                           into w: inout JSONWriter) {
        w.object { w in
            w.field("id", definition.id)
            w.field("name", definition.name)
            w.field("status", status.rawValue)
            w.field("capacity", object: { w in
                for (channel, count) in definition.capacity.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { w.field(channel.rawValue, count) }
            })
            w.field("load", object: { w in
                for (channel, count) in load.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { w.field(channel.rawValue, count) }
            })
            w.field("skills", object: { w in
                for (skill, level) in definition.skills.sorted(by: { $0.key < $1.key }) { w.field(skill, level) }
            })
            w.field("tasks", array: { w in
                for task in tasks { w.object { w in write(task, into: &w) } }
            })
        }
    }

    static func taskEvent(_ task: TaskRecord, plan: TaskRuntime.Plan?, expires: Date?, reason: String?) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        var task = task
        if task.plan.isEmpty, let plan { task.plan = plan.stored }
        w.object { w in
            w.field("task", object: { w in write(task, into: &w) })
            w.fieldIfPresent("expires_at", expires.map(RFC3339.format))
            w.fieldIfPresent("reason", reason)
            if let plan, plan.suppressSales { w.field("suppress_sales", true) }
        }
        return w.bytes
    }

    static func messageEvent(task: TaskRecord, messageID: String) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.object { w in
            w.field("task", task.id)
            w.field("conversation", task.conversationID)
            w.field("message", messageID)
        }
        return w.bytes
    }

    static func notifyEvent(task: String, target: String, step: String) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.object { w in
            w.field("task", task)
            w.field("target", target)
            w.field("step", step)
        }
        return w.bytes
    }

    static func statusEvent(agent: String, status: AgentStatus) -> [UInt8] {
        var w = JSONWriter(capacity: 128)
        w.object { w in
            w.field("agent", agent)
            w.field("status", status.rawValue)
        }
        return w.bytes
    }
}
