import * as tf from '@tensorflow/tfjs';
import { fusedEma, fusedUpdates } from './wasm-update-kernels.ts';

/**
 * The teacher follows the student as an exponential moving average of every parameter (backbone
 * and head, trainable or not), as the reference: teacher ← m·teacher + (1 − m)·student.
 */
export function updateTeacher(
  teacher: ReadonlyMap<string, tf.Variable>,
  student: ReadonlyMap<string, tf.Variable>,
  momentum: number,
): void {
  const fused = fusedUpdates();
  for (const [name, teacherParameter] of teacher) {
    const studentParameter = student.get(name);
    if (!studentParameter) throw new Error(`The student has no parameter ${name} for the teacher to follow.`);
    tf.tidy(() =>
      teacherParameter.assign(
        fused
          ? fusedEma(teacherParameter, studentParameter, momentum)
          : tf.add(tf.mul(teacherParameter, momentum), tf.mul(studentParameter, 1 - momentum)),
      ),
    );
  }
}
