package fr.cartable.mobile

import fr.cartable.mobile.Demo.bookableCells
import fr.cartable.mobile.Demo.signedIn
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ConcurrencyTest {

    @Test
    fun `four threads booking while two others sync leave every booking present and decided`() {
        signedIn(Demo.CAMILLE, "Téléphone très sollicité").use { phone ->
            val cells = bookableCells(phone, 40)
            assertEquals(40, cells.size, "40 bookable cells ahead in the demo calendar")
            val pool = Executors.newFixedThreadPool(6)
            val start = CountDownLatch(1)
            val syncs = AtomicInteger()
            try {
                val bookers = cells.chunked(10).map { mine ->
                    pool.submit {
                        start.await()
                        for (c in mine) phone.book(c.childId, c.date, c.activityId)
                    }
                }
                val syncers = (1..2).map {
                    pool.submit {
                        start.await()
                        repeat(5) {
                            phone.sync()
                            syncs.incrementAndGet()
                        }
                    }
                }
                start.countDown()
                (bookers + syncers).forEach { it.get(120, TimeUnit.SECONDS) }
            } finally {
                pool.shutdownNow()
            }
            assertEquals(10, syncs.get())

            phone.sync()
            val from = cells.minOf { it.date }
            val to = cells.maxOf { it.date }
            val view = phone.planningView(null, from, to)
            for (c in cells) {
                val now = view.rows.single { it.date == c.date }.cells
                    .single { it.childId == c.childId && it.activityId == c.activityId }
                assertEquals(CellState.Accepted, now.state, "${c.childName} ${c.date} ${c.activityId}")
            }
            assertEquals(0uL, phone.status().pendingChanges)
            assertTrue(phone.status().lastError == null)
        }
    }
}
